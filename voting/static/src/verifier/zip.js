// Reading a record zip (PROTOCOL.md §13, check 1's container rule). The
// central directory is read here, so that every member name is listed,
// duplicates included (fflate's unzipSync keys members by name, and two
// entries of one name would collapse); members are inflated with fflate.
// As Python's zipfile: the local header's name must equal the central
// directory's, the data's CRC-32 must match, and names are truncated at a
// NUL byte; stored and deflated members are supported.

import { inflateSync } from 'fflate';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Why a zip cannot be read. */
export class ZipError extends Error {}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function decodeName(raw, flags) {
  if (flags & 0x800) {
    try {
      return UTF8.decode(raw);
    } catch {
      throw new ZipError('a member name is not valid UTF-8');
    }
  }
  return String.fromCharCode(...raw); // cp437 differs only outside ASCII
}

function findEnd(view) {
  const n = view.byteLength;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) return i;
  }
  throw new ZipError('not a zip file');
}

/**
 * The central directory: [{name, method, flags, crc, compressedSize, size,
 * offset}], in order, duplicates included.
 * @throws {ZipError}
 */
export function listEntries(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22) throw new ZipError('not a zip file');
  const end = findEnd(view);
  let cdSize = view.getUint32(end + 12, true);
  let cdOffset = view.getUint32(end + 16, true);
  let endStart = end;
  if (end >= 20 && view.getUint32(end - 20, true) === 0x07064b50) { // zip64 locator
    const at = Number(view.getBigUint64(end - 12, true));
    if (at + 56 > bytes.length || view.getUint32(at, true) !== 0x06064b50) {
      throw new ZipError('bad zip64 end of central directory');
    }
    cdSize = Number(view.getBigUint64(at + 40, true));
    cdOffset = Number(view.getBigUint64(at + 48, true));
    endStart = at;
  }
  const concat = endStart - cdSize - cdOffset; // bytes prepended to the archive
  if (concat < 0) throw new ZipError('bad central directory offset');
  const entries = [];
  let p = cdOffset + concat;
  const stop = p + cdSize;
  while (p < stop) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) {
      throw new ZipError('bad magic number for central directory');
    }
    const flags = view.getUint16(p + 8, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const raw = bytes.subarray(p + 46, p + 46 + nameLen);
    const entry = { origName: decodeName(raw, flags), flags, method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true), compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true), offset: view.getUint32(p + 42, true) };
    zip64Extra(view, p + 46 + nameLen, extraLen, entry);
    const nul = entry.origName.indexOf('\0');
    entry.name = nul >= 0 ? entry.origName.slice(0, nul) : entry.origName;
    entry.offset += concat;
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function zip64Extra(view, start, length, entry) {
  for (let p = start; p + 4 <= start + length;) {
    const id = view.getUint16(p, true);
    const size = view.getUint16(p + 2, true);
    if (id === 0x0001) {
      let q = p + 4;
      for (const key of ['size', 'compressedSize', 'offset']) {
        if (entry[key] === 0xffffffff && q + 8 <= p + 4 + size) {
          entry[key] = Number(view.getBigUint64(q, true));
          q += 8;
        }
      }
    }
    p += 4 + size;
  }
}

/** The member names of a zip, every entry, duplicates included. */
export function listNames(bytes) {
  return listEntries(bytes).map((e) => e.name);
}

/**
 * The bytes of one entry (from listEntries).
 * @throws {ZipError} bad header, name mismatch, encryption, unsupported
 *   compression, corrupt data or a CRC mismatch.
 */
export function readEntry(bytes, entry) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const p = entry.offset;
  if (p + 30 > bytes.length || view.getUint32(p, true) !== 0x04034b50) {
    throw new ZipError('bad magic number for file header');
  }
  const flags = view.getUint16(p + 6, true);
  const nameLen = view.getUint16(p + 26, true);
  const extraLen = view.getUint16(p + 28, true);
  const localName = decodeName(bytes.subarray(p + 30, p + 30 + nameLen), flags);
  if (localName !== entry.origName) {
    throw new ZipError(`file name in directory '${entry.origName}' and header '${localName}' differ`);
  }
  if (entry.flags & 0x1) throw new ZipError(`member '${entry.name}' is encrypted`);
  const start = p + 30 + nameLen + extraLen;
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new ZipError('truncated member data');
  let out;
  if (entry.method === 0) {
    out = data;
  } else if (entry.method === 8) {
    try {
      out = inflateSync(data);
    } catch (err) {
      throw new ZipError(`member '${entry.name}': ${err.message}`);
    }
  } else {
    throw new ZipError(`member '${entry.name}': unsupported compression method ${entry.method}`);
  }
  if (out.length > entry.size) out = out.subarray(0, entry.size);
  if (crc32(out) !== entry.crc) throw new ZipError(`bad CRC-32 for file '${entry.name}'`);
  return out;
}

/**
 * The record as checks.verifyRecord takes it: all member names, and the
 * two members' bytes when each is named exactly once (§13); a zip that
 * cannot be read gives {unreadable}.
 */
export function readRecordZip(bytes) {
  try {
    const entries = listEntries(bytes);
    const names = entries.map((e) => e.name);
    const once = (n) => names.filter((x) => x === n).length === 1;
    if (!once('board.jsonl') || !once('signature.json')) return { names };
    const get = (n) => readEntry(bytes, entries.find((e) => e.name === n));
    const signature = get('signature.json');
    return { names, signature, board: get('board.jsonl') };
  } catch (err) {
    if (!(err instanceof ZipError)) throw err;
    return { unreadable: `cannot read the record: ${err.message}` };
  }
}
