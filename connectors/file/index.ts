export { fileSinkPlugin } from './sink.js';
export { fileSourcePlugin } from './source.js';
