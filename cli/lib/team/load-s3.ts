/** The AWS S3 client, loaded on use (it is large). */
export function loadS3(): typeof import("@aws-sdk/client-s3") {
  // The SDK warns, on every run, that its releases from 2027 on need Node.js 22: this pinned one runs on 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
}
