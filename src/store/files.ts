/**
 * Files and their checkpoints: which file a path holds now (inode and head fingerprint), where
 * reading it stopped, and the files a rotation may have moved away. The checkpoint itself moves
 * in the commit that stores the lines it covers (records.ts).
 */
import type Database from './sqlite.js';
import { limitOf, type Statements } from './statements.js';

export interface FileRow {
  id: number;
  path: string;
  dev: number | null;
  ino: number | null;
  fp_len: number;
  fp_hash: string;
  format: string;
  region: string | null;
  options: string;
  offset: number;
  line_no: number;
  lines_cut: number;
  gaps: number;
  /** When the checkpoint last moved (epoch ms). */
  updated_at: number;
}

export interface Checkpoint {
  offset: number;
  lineNo: number;
  linesCut: number;
}

export class FileStore {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly statements: Statements,
  ) {
    this.st = {
      fileByInode: db.prepare(`SELECT * FROM files WHERE dev = ? AND ino = ? ORDER BY id DESC`),
      fileByPrint: db.prepare(`SELECT * FROM files WHERE fp_len = ? AND fp_hash = ? ORDER BY id DESC LIMIT 1`),
      shortPrintLengths: db.prepare(`SELECT DISTINCT fp_len FROM files WHERE fp_len < ?`).pluck(),
      insertFile: db.prepare(
        `INSERT INTO files (path, dev, ino, fp_len, fp_hash, format, region, options, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      moveFile: db.prepare(
        `UPDATE files SET path = ?, dev = ?, ino = ?, fp_len = ?, fp_hash = ?, updated_at = ? WHERE id = ?`,
      ),
      gap: db.prepare(`UPDATE files SET gaps = gaps + 1 WHERE id = ?`),
      byId: db.prepare(`SELECT * FROM files WHERE id = ?`),
    };
  }

  /** The file this one continues: same inode and head, or (an archive) the same head anywhere. */
  find(
    dev: number | null,
    ino: number | null,
    headHash: (len: number) => string,
    headLen: number,
  ): FileRow | undefined {
    if (dev !== null && ino !== null) {
      for (const row of this.st.fileByInode.all(dev, ino) as FileRow[]) {
        if (row.fp_len <= headLen && headHash(row.fp_len) === row.fp_hash) return row;
      }
    }
    const full = this.st.fileByPrint.get(headLen, headHash(headLen)) as FileRow | undefined;
    if (full) return full;
    // A file first seen shorter than the fingerprint length, since grown (or compressed).
    for (const len of this.st.shortPrintLengths.all(headLen) as number[]) {
      const row = this.st.fileByPrint.get(len, headHash(len)) as FileRow | undefined;
      if (row) return row;
    }
    return undefined;
  }

  /**
   * The content last read at this path under this inode, whatever its head now: the file that a
   * copytruncate cut. A row of the same inode read at another path is a recycled inode (the old
   * file was renamed, deleted, and its inode given to a new one), not a truncation.
   */
  atPathWithInode(file: string, dev: number, ino: number): FileRow | undefined {
    return this.statements
      .get(`SELECT * FROM files WHERE dev = ? AND ino = ? AND path = ? ORDER BY id DESC LIMIT 1`)
      .get(dev, ino, file) as FileRow | undefined;
  }

  byId(id: number): FileRow | undefined {
    return this.st.byId.get(id) as FileRow | undefined;
  }

  /** Plain files last read at this path (newest first): where a rotated-away file is looked for. */
  atPath(file: string, limit = 3): FileRow[] {
    return this.statements
      .get(
        `SELECT * FROM files WHERE path = ? AND dev IS NOT NULL AND ino IS NOT NULL ORDER BY id DESC LIMIT ${limitOf(limit)}`,
      )
      .all(file) as FileRow[];
  }

  /**
   * The rows last read under a path starting with `prefix` (`/var/log/nginx/access`: its
   * rotated names), most recently read first: what a restart may have left unfinished.
   */
  recentUnder(prefix: string, limit = 10): FileRow[] {
    return this.statements
      .get(`SELECT * FROM files WHERE path >= ? AND path < ? ORDER BY updated_at DESC LIMIT ${limitOf(limit)}`)
      .all(prefix, `${prefix}\u{10FFFF}`) as FileRow[];
  }

  add(f: {
    path: string;
    dev: number | null;
    ino: number | null;
    fpLen: number;
    fpHash: string;
    format: string;
    region: string | null;
    options: object;
  }): FileRow {
    const info = this.st.insertFile.run(
      f.path,
      f.dev,
      f.ino,
      f.fpLen,
      f.fpHash,
      f.format,
      f.region,
      JSON.stringify(f.options),
      Date.now(),
    );
    return this.st.byId.get(info.lastInsertRowid) as FileRow;
  }

  /** The file was renamed, or its head grew past the old fingerprint length. */
  move(id: number, f: { path: string; dev: number | null; ino: number | null; fpLen: number; fpHash: string }): void {
    this.st.moveFile.run(f.path, f.dev, f.ino, f.fpLen, f.fpHash, Date.now(), id);
  }

  /** copytruncate: the file restarted from zero; lines written between copy and truncate may be gone. */
  recordGap(id: number): void {
    this.st.gap.run(id);
  }

  all(): FileRow[] {
    return this.statements.get(`SELECT * FROM files ORDER BY id`).all() as FileRow[];
  }
}
