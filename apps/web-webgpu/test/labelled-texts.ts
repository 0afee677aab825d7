/** A labelled TSV of two classes a few steps tell apart (what the texts say differs by class), for tests. */
export function twoClassTsv(rows: number): string {
  const spam = ['win a prize now', 'free cash, call now', 'claim your free prize', 'urgent: you won cash'];
  const ham = ['see you at lunch', 'are we still on for tea', 'call me when home', 'running late, sorry'];
  return Array.from({ length: rows }, (_, i) =>
    i % 2 === 0 ? `spam\t${spam[i % spam.length]} ${i}` : `ham\t${ham[i % ham.length]} ${i}`,
  ).join('\n');
}
