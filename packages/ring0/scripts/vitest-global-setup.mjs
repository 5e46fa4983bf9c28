import { assembleAll } from './assemble.mjs';

export default function setup() {
  assembleAll();
}
