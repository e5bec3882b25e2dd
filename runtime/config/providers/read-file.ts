import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statfsSync } from 'node:fs';

/** Largest file a config provider reads (one properties file, or one file of a directory provider). */
export const MAX_PROVIDER_FILE_BYTES = 1024 * 1024;
/** What one resolution of one config may read in all: files, and bytes over all of them. */
export const MAX_PROVIDER_FILES = 64;
export const MAX_PROVIDER_TOTAL_BYTES = 8 * 1024 * 1024;

/** A provider refuses a path or cannot read it; the message names the path, never the file's content. */
export class ProviderError extends Error {}

/** Shared by every read of one resolution, so one request cannot make the worker read without end. */
export class ReadBudget {
  private files = 0;
  private bytes = 0;

  take(size: number, path: string): void {
    this.files++;
    this.bytes += size;
    if (this.files > MAX_PROVIDER_FILES)
      throw new ProviderError(`${path}: one config may refer to at most ${MAX_PROVIDER_FILES} files`);
    if (this.bytes > MAX_PROVIDER_TOTAL_BYTES)
      throw new ProviderError(
        `${path}: the files one config refers to may hold at most ${MAX_PROVIDER_TOTAL_BYTES} bytes together`,
      );
  }
}

/** Kernel pseudo file systems: their "regular" files (e.g. /proc/self/environ) are views of the process. */
const PSEUDO_FS = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x73636673, // securityfs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x62656570, // configfs
  0xde5e81e4, // efivarfs
  0xcafe4a11, // bpf
]);
const PSEUDO_DIRS = ['/proc', '/sys', '/dev'];

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (permission denied)',
  ELOOP: 'has too many levels of symbolic links',
  ENOTDIR: 'does not exist (a part of it is not a directory)',
  EISDIR: 'is a directory, not a file',
  ENAMETOOLONG: 'is too long a path',
};

/** Why a file-system call failed, in words that name no content. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  return REASONS[code] ?? `cannot be read (${code || 'error'})`;
}

export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The path with every symbolic link and `..` resolved; throws ProviderError with a reason. */
export function realPath(path: string): string {
  if (path.includes('\u0000')) throw new ProviderError('a path may not contain a NUL character');
  try {
    return realpathSync(path);
  } catch (err) {
    throw new ProviderError(`${path} ${fsReason(err)}`);
  }
}

/**
 * Reads a regular file of at most MAX_PROVIDER_FILE_BYTES as UTF-8. `path` must already be real (symbolic links
 * resolved). Devices, FIFOs, sockets, directories and the kernel's pseudo files are refused before a byte is read;
 * the file is opened non-blocking, so a FIFO swapped in after the check cannot hang the event loop either, and it
 * is read up to the cap whatever size it claims.
 */
export function readRegularFile(path: string, budget: ReadBudget): string {
  if (PSEUDO_DIRS.some((d) => isInside(path, d)))
    throw new ProviderError(`${path} is not a regular file (devices and kernel files are never read)`);
  try {
    if (PSEUDO_FS.has(Number(statfsSync(path).type)))
      throw new ProviderError(`${path} is a kernel pseudo file, never read`);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw new ProviderError(`${path} ${fsReason(err)}`);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
  } catch (err) {
    throw new ProviderError(`${path} ${fsReason(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ProviderError(`${path} is not a regular file`);
    if (st.size > MAX_PROVIDER_FILE_BYTES)
      throw new ProviderError(`${path} is larger than ${MAX_PROVIDER_FILE_BYTES} bytes, the most a provider reads`);
    // Sized by what the file claims, grown while it holds more (a file being written), never past the cap + 1.
    let buf = Buffer.allocUnsafe(Math.min(MAX_PROVIDER_FILE_BYTES + 1, st.size + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > MAX_PROVIDER_FILE_BYTES)
          throw new ProviderError(`${path} is larger than ${MAX_PROVIDER_FILE_BYTES} bytes, the most a provider reads`);
        const grown = Buffer.allocUnsafe(Math.min(MAX_PROVIDER_FILE_BYTES + 1, buf.length * 2 + 4096));
        buf.copy(grown, 0, 0, n);
        buf = grown;
      }
      let got: number;
      try {
        got = readSync(fd, buf, n, buf.length - n, null);
      } catch (err) {
        throw new ProviderError(`${path} ${fsReason(err)}`);
      }
      if (got === 0) break;
      n += got;
    }
    budget.take(n, path);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}
