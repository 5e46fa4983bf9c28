#!/usr/bin/env node
// Builds the guest program into out/fuzz (skipped when up to date).
import { buildGuest } from './lib/build.mjs';

try {
  const { state, output } = await buildGuest();
  if (output) console.log(output.trimEnd());
  console.log(`fuzz guest: ${state}`);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
