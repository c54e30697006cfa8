/** Helpers for browser tests of pages the gateway serves (the console, the web chat widget). */
export { launchChromium } from './webchat-browser.js';
