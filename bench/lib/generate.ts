import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const FIRST = ['Ann', 'Bob', 'Carla', 'Dmitri', 'Eve', 'Fatou', 'Gus', 'Hana', 'Ines', 'José', 'Zoë', 'Łukasz'];
const LAST = ['Lee', 'Stone', 'Müller', 'Diaz', 'Nguyen', "O'Brien", 'Smith, Jr.', 'Kowalski', 'Tanaka', 'Dubois'];
const CITIES = ['Paris', 'Berlin', 'Lisbon', 'New York', 'São Paulo', 'Tokyo', 'Lagos', 'Zürich'];

/**
 * Writes a contacts CSV of `rows` unique addresses in no particular order: email, names and three
 * custom fields (city text, score number, signup date). Some last names
 * need quoting, as in real exports.
 */
export async function generateContactsCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('email,first_name,last_name,city,score,signup_date\n');
  let chunk = '';
  for (let i = 1; i <= rows; i += 1) {
    const last = LAST[i % LAST.length];
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    // A scrambled prefix: real lists are not sorted by address, so neither side gets sequential index inserts.
    const prefix = (Math.imul(i, 2654435761) >>> 0).toString(36);
    chunk +=
      `${prefix}.user${i}@example${i % 50}.com,${FIRST[i % FIRST.length]},` +
      `${last.includes(',') ? `"${last}"` : last},${CITIES[i % CITIES.length]},${i % 1000},2024-${month}-${day}\n`;
    if (i % 5000 === 0) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
  return bytes;
}
