// What must hold of a process's memory after every operation, checked as a
// whole (MemoryManager.checkInvariants; on every memory system call and
// fault when the sandbox runs with checkMemory):
// - the VMAs are sorted, aligned, merged and inside user space (VmaList.check);
// - the address space maps, as the hardware sees it, only resident pages of
//   this process (PageMap), each to its own frame, inside a VMA that allows
//   the rights it is mapped with; every such frame is a user frame of the
//   allocator (never free, never a page table or the kernel), and a private
//   frame shared copy-on-write since a fork is never mapped writable;
// - every resident page lies in a VMA;
// - every frame's reference count equals the number of its holders
//   (Frames.check, over every process and cache on the same memory).
import { FRAME_USER, PROT_EXEC, PROT_NONE, PROT_WRITE } from '@tsv/platform';
import { FRAME_KIND_NAMES } from './frames.js';
import type { Pager } from './pager.js';

const PAGE = 4096;

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Describes the first page the address space maps against the rules above, or null. */
export function checkMappings(p: Pager): string | null {
  let bad: string | null = null;
  p.as.forEachMapping((va, length, address, prot) => {
    for (let o = 0; o < length && bad === null; o += PAGE) bad = checkPage(p, va + o, address < 0 ? -1 : address + o, prot);
  });
  if (bad !== null) return bad;
  p.pages.forEachEntry((va) => {
    if (bad === null && p.vmas.find(va) === undefined) bad = `resident page ${hex(va)} outside any VMA`;
  });
  return bad;
}

function checkPage(p: Pager, va: number, address: number, prot: number): string | null {
  if (address < 0) return `corrupt page-table entry for ${hex(va)}`;
  const kind = p.mem.frameKind(address);
  if (kind !== FRAME_USER) return `${hex(va)} maps frame ${hex(address)}, which is ${FRAME_KIND_NAMES[kind]}`;
  const held = p.pages.get(va);
  if (held !== address) return `${hex(va)} maps frame ${hex(address)} but the process holds ${held < 0 ? 'no page there' : hex(held)}`;
  const v = p.vmas.find(va);
  if (v === undefined) return `page ${hex(va)} mapped outside any VMA`;
  if (v.prot === PROT_NONE || (prot & ~v.prot & (PROT_WRITE | PROT_EXEC)) !== 0) {
    return `page ${hex(va)} mapped with ${prot}, VMA has ${v.prot}`;
  }
  if (v.shm === null && (prot & PROT_WRITE) !== 0 && p.frames.refs(address) > 1) {
    return `${hex(va)} maps frame ${hex(address)} writable while another process shares it copy-on-write`;
  }
  return null;
}
