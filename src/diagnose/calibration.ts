/**
 * How often each claim was right on the labelled corpus (fixtures/corpus and the lab's fixtures),
 * by cause and by what decided it (`basis`; `:secondary` for claims below the first). Written by
 * `npm run bench:diagnosis -- --write`; a test fails when it no longer matches what the corpus gives.
 * The confidence printed for a claim is (right + 1) / (claimed + 2); a claim the corpus never
 * measured is capped at UNMEASURED_CAP.
 */
export const UNMEASURED_CAP = 0.6;

export type CalibrationTable = Record<string, Record<string, { claimed: number; right: number }>>;

export const CALIBRATION: CalibrationTable = {};
