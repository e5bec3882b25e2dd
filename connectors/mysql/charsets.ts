import { TextDecoder } from 'node:util';

/**
 * Character sets: binlog rows carry column bytes in the column's charset (TABLE_MAP gives its collation id,
 * the DDL its name). MySQL's latin1 is Windows-1252, not ISO-8859-1.
 */
const COLLATION_CHARSET: Record<number, string> = {
  1: 'big5',
  3: 'dec8',
  4: 'cp850',
  5: 'latin1',
  6: 'hp8',
  7: 'koi8r',
  8: 'latin1',
  9: 'latin2',
  10: 'swe7',
  11: 'ascii',
  12: 'ujis',
  13: 'sjis',
  14: 'cp1251',
  15: 'latin1',
  16: 'hebrew',
  18: 'tis620',
  19: 'euckr',
  22: 'koi8u',
  24: 'gb2312',
  25: 'greek',
  26: 'cp1250',
  27: 'latin2',
  28: 'gbk',
  30: 'latin5',
  31: 'latin1',
  32: 'armscii8',
  33: 'utf8mb3',
  35: 'ucs2',
  36: 'cp866',
  40: 'macroman',
  45: 'utf8mb4',
  46: 'utf8mb4',
  47: 'latin1',
  48: 'latin1',
  49: 'latin1',
  51: 'cp1251',
  54: 'utf16',
  56: 'utf16le',
  57: 'cp1256',
  60: 'utf32',
  63: 'binary',
  65: 'ascii',
  83: 'utf8mb3',
  84: 'big5',
  86: 'gb2312',
  87: 'gbk',
  88: 'sjis',
  94: 'latin1',
  95: 'cp932',
  97: 'eucjpms',
  248: 'gb18030',
};

export function collationCharset(id: number): string {
  const known = COLLATION_CHARSET[id];
  if (known) return known;
  if ((id >= 192 && id <= 215) || (id >= 576 && id <= 671) || (id >= 2048 && id < 2304)) return 'utf8mb3';
  if ((id >= 224 && id <= 247) || (id >= 255 && id <= 323) || (id >= 2304 && id < 2560)) return 'utf8mb4';
  if (id >= 101 && id <= 124) return 'utf16';
  if (id >= 128 && id <= 151) return 'ucs2';
  if (id >= 160 && id <= 183) return 'utf32';
  return 'utf8mb4';
}

const WHATWG: Record<string, string> = {
  latin1: 'windows-1252',
  latin2: 'iso-8859-2',
  cp1250: 'windows-1250',
  cp1251: 'windows-1251',
  cp1256: 'windows-1256',
  cp866: 'ibm866',
  koi8r: 'koi8-r',
  koi8u: 'koi8-u',
  greek: 'iso-8859-7',
  hebrew: 'iso-8859-8',
  latin5: 'windows-1254',
  macroman: 'macintosh',
  tis620: 'windows-874',
  big5: 'big5',
  gbk: 'gbk',
  gb2312: 'gbk',
  gb18030: 'gb18030',
  sjis: 'shift_jis',
  cp932: 'shift_jis',
  ujis: 'euc-jp',
  eucjpms: 'euc-jp',
  euckr: 'euc-kr',
  ucs2: 'utf-16be',
  utf16: 'utf-16be',
  utf16le: 'utf-16le',
};

const decoders = new Map<string, TextDecoder>();

export function decodeText(bytes: Buffer, charset: string | undefined): string {
  if (
    !charset ||
    charset === 'utf8mb4' ||
    charset === 'utf8mb3' ||
    charset === 'utf8' ||
    charset === 'ascii' ||
    charset === 'binary'
  ) {
    return bytes.toString('utf8');
  }
  if (charset === 'utf32') {
    let s = '';
    for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
    return s;
  }
  const label = WHATWG[charset];
  if (!label) return bytes.toString('utf8');
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d.decode(bytes);
}
