export { bundleWidget, loadWidgetScript } from './bundle-widget.js';
export { isOriginAllowed, parseAllowedOrigins } from './check-webchat-origin.js';
export { convertMessageFrame, convertReceiptFrame } from './convert-visitor-frame.js';
export { mapHistoryEntry } from './map-history-entry.js';
export {
  createWebchatConnector,
  WebchatConnector,
  type WebchatConnectorSettings,
  type WebchatMountTools,
  webchatCapabilities,
  webchatConnectorFromEnv,
  webchatHttpSignature,
} from './webchat-connector.js';
export { webchatDemoPage } from './webchat-demo-page.js';
export {
  type IdentityTokenResult,
  signWebchatIdentityToken,
  verifyWebchatIdentityToken,
  type WebchatIdentity,
} from './webchat-identity-token.js';
export * from './webchat-protocol.js';
export { resumeTokenFor } from './webchat-visitor-token.js';
