export {
  type ConsoleAsset,
  type ConsoleAssets,
  consolePaths,
  loadConsoleAssets,
  scriptBytesGzipped,
} from './console-assets.js';
