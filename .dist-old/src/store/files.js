import { limitOf } from './statements.js';
export class FileStore {
    statements;
    st;
    constructor(db, statements) {
        this.statements = statements;
        this.st = {
            fileByInode: db.prepare(`SELECT * FROM files WHERE dev = ? AND ino = ? ORDER BY id DESC`),
            fileByPrint: db.prepare(`SELECT * FROM files WHERE fp_len = ? AND fp_hash = ? ORDER BY id DESC LIMIT 1`),
            shortPrintLengths: db.prepare(`SELECT DISTINCT fp_len FROM files WHERE fp_len < ?`).pluck(),
            insertFile: db.prepare(`INSERT INTO files (path, dev, ino, fp_len, fp_hash, format, region, options, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
            moveFile: db.prepare(`UPDATE files SET path = ?, dev = ?, ino = ?, fp_len = ?, fp_hash = ?, updated_at = ? WHERE id = ?`),
            gap: db.prepare(`UPDATE files SET gaps = gaps + 1 WHERE id = ?`),
            byId: db.prepare(`SELECT * FROM files WHERE id = ?`),
        };
    }
    /** The file this one continues: same inode and head, or (an archive) the same head anywhere. */
    find(dev, ino, headHash, headLen) {
        if (dev !== null && ino !== null) {
            for (const row of this.st.fileByInode.all(dev, ino)) {
                if (row.fp_len <= headLen && headHash(row.fp_len) === row.fp_hash)
                    return row;
            }
        }
        const full = this.st.fileByPrint.get(headLen, headHash(headLen));
        if (full)
            return full;
        // A file first seen shorter than the fingerprint length, since grown (or compressed).
        for (const len of this.st.shortPrintLengths.all(headLen)) {
            const row = this.st.fileByPrint.get(len, headHash(len));
            if (row)
                return row;
        }
        return undefined;
    }
    /**
     * The content last read at this path under this inode, whatever its head now: the file that a
     * copytruncate cut. A row of the same inode read at another path is a recycled inode (the old
     * file was renamed, deleted, and its inode given to a new one), not a truncation.
     */
    atPathWithInode(file, dev, ino) {
        return this.statements
            .get(`SELECT * FROM files WHERE dev = ? AND ino = ? AND path = ? ORDER BY id DESC LIMIT 1`)
            .get(dev, ino, file);
    }
    byId(id) {
        return this.st.byId.get(id);
    }
    /** Plain files last read at this path (newest first): where a rotated-away file is looked for. */
    atPath(file, limit = 3) {
        return this.statements
            .get(`SELECT * FROM files WHERE path = ? AND dev IS NOT NULL AND ino IS NOT NULL ORDER BY id DESC LIMIT ${limitOf(limit)}`)
            .all(file);
    }
    /**
     * The rows last read under a path starting with `prefix` (`/var/log/nginx/access`: its
     * rotated names), most recently read first: what a restart may have left unfinished.
     */
    recentUnder(prefix, limit = 10) {
        return this.statements
            .get(`SELECT * FROM files WHERE path >= ? AND path < ? ORDER BY updated_at DESC LIMIT ${limitOf(limit)}`)
            .all(prefix, `${prefix}\u{10FFFF}`);
    }
    add(f) {
        const info = this.st.insertFile.run(f.path, f.dev, f.ino, f.fpLen, f.fpHash, f.format, f.region, JSON.stringify(f.options), Date.now());
        return this.st.byId.get(info.lastInsertRowid);
    }
    /** The file was renamed, or its head grew past the old fingerprint length. */
    move(id, f) {
        this.st.moveFile.run(f.path, f.dev, f.ino, f.fpLen, f.fpHash, Date.now(), id);
    }
    /** copytruncate: the file restarted from zero; lines written between copy and truncate may be gone. */
    recordGap(id) {
        this.st.gap.run(id);
    }
    all() {
        return this.statements.get(`SELECT * FROM files ORDER BY id`).all();
    }
}
//# sourceMappingURL=files.js.map