export { newPipe, PIPE_BUF, PIPE_CAPACITY, PipeEnd } from './pipe.js';
export { isStream, StreamDescription } from './stream.js';
