/** Two projects: `unit` (offline, no toolchain) and `integration` (real engine and API servers). */
const common = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
};
module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...common, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"], setupFilesAfterEnv: ["<rootDir>/test/integration/setup.ts"] },
  ],
};
