import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { CMSG_HDR, ControlWriter, cmsgLen, cmsgSpace, intsBytes, parseCmsgs, SCM_RIGHTS, SOL_SOCKET } from './msghdr.js';

/** Control bytes holding headers of the given lengths, each followed by its data slot. */
function control(size: number, headers: { at: number; len: number }[]): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (const h of headers) {
    v.setBigUint64(h.at, BigInt(h.len), true);
    v.setInt32(h.at + 8, SOL_SOCKET, true);
    v.setInt32(h.at + 12, SCM_RIGHTS, true);
  }
  return b;
}

describe('parseCmsgs (for_each_cmsghdr with CMSG_OK)', () => {
  it('reads aligned headers and their data', () => {
    const b = control(cmsgSpace(4) + cmsgSpace(8), [
      { at: 0, len: cmsgLen(4) },
      { at: cmsgSpace(4), len: cmsgLen(8) },
    ]);
    const list = parseCmsgs(b);
    expect(typeof list).not.toBe('number');
    expect((list as { data: Uint8Array }[]).map((c) => c.data.length)).toEqual([4, 8]);
  });

  it('a buffer shorter than one header carries nothing', () => {
    expect(parseCmsgs(new Uint8Array(CMSG_HDR - 1))).toEqual([]);
  });

  it('a length below the header, past the buffer, or near 2^64 is EINVAL', () => {
    expect(parseCmsgs(control(64, [{ at: 0, len: 8 }]))).toBe(-E.EINVAL);
    expect(parseCmsgs(control(64, [{ at: 0, len: 65 }]))).toBe(-E.EINVAL);
    const huge = control(64, []);
    new DataView(huge.buffer).setBigUint64(0, 0xffff_ffff_ffff_ffffn, true);
    expect(parseCmsgs(huge)).toBe(-E.EINVAL);
    // A good header, then one that overflows what is left.
    expect(
      parseCmsgs(
        control(40, [
          { at: 0, len: cmsgLen(4) },
          { at: 24, len: 1000 },
        ]),
      ),
    ).toBe(-E.EINVAL);
  });
});

describe('ControlWriter (put_cmsg, scm_detach_fds)', () => {
  it('cuts a message to the room left and sets MSG_CTRUNC', () => {
    const w = new ControlWriter(cmsgLen(4));
    expect(w.rightsRoom).toBe(1);
    w.put(SOL_SOCKET, SCM_RIGHTS, intsBytes([3, 4]));
    expect(w.truncated).toBe(true);
    expect(w.used).toBe(cmsgLen(4));
    expect(new DataView(w.bytes.buffer).getUint32(0, true)).toBe(cmsgLen(4));
  });

  it('no room for a header: nothing written, truncated', () => {
    const w = new ControlWriter(CMSG_HDR - 1);
    w.put(SOL_SOCKET, SCM_RIGHTS, intsBytes([3]));
    expect([w.used, w.truncated, w.rightsRoom]).toEqual([0, true, 0]);
  });
});
