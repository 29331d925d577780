// NIK rules on the device, ported from identity/nik.py: what a 16-digit number can tell before
// the registry is asked (layout PP KK CC DDMMYY SSSS; women: day + 40). Both run the vectors in
// tests/vectors/nik.json. Province codes are never retired, so they ship with the app; the
// kabupaten/kota and kecamatan lists do not (too large for the first load), so those checks run
// only when a caller passes `regions` ({exists(code)}), and are warnings as on the server.
// No DOM, no PouchDB: node --test runs it.

// Kepmendagri No. 300.2.2-2138 Tahun 2025 (server/catalog/data/wilayah.csv), provinces only
export const PROVINCES = new Set(['11', '12', '13', '14', '15', '16', '17', '18', '19', '21', '31', '32', '33', '34', '35',
  '36', '51', '52', '53', '61', '62', '63', '64', '65', '71', '72', '73', '74', '75', '76', '81', '82', '91', '92', '93',
  '94', '95', '96']);

export const FEMALE_DAY_OFFSET = 40;

// the same sentences as identity/nik.py MESSAGES["id"]
export const MESSAGES = {
  'nik.length': 'NIK harus 16 angka, yang terisi {count} angka. Periksa kembali KTP Anda.',
  'nik.digits': 'NIK hanya berisi angka 0-9, tanpa huruf, titik atau tanda lain. Salin NIK persis seperti di KTP Anda.',
  'nik.province_unknown': 'Dua angka pertama NIK ({province}) bukan kode provinsi. Periksa kembali KTP Anda.',
  'nik.region_zero': 'Angka ke-3 sampai ke-6 NIK memuat kode 00 yang tidak pernah dipakai. Periksa kembali KTP Anda.',
  'nik.regency_unknown': 'Kode kabupaten/kota di NIK ({regency}) tidak ada di daftar wilayah terbaru. Pastikan NIK sama persis dengan KTP; jika sudah, lanjutkan: NIK dengan kode lama tetap berlaku.',
  'nik.district_unknown': 'Kode kecamatan di NIK ({district}) tidak ada di daftar wilayah terbaru. Pastikan NIK sama persis dengan KTP; jika sudah, lanjutkan: NIK dengan kode lama tetap berlaku.',
  'nik.birth_date_invalid': 'Angka ke-7 sampai ke-12 NIK bukan tanggal lahir yang benar. Periksa kembali KTP Anda.',
  'nik.serial_zero': 'Empat angka terakhir NIK tidak mungkin 0000. Periksa kembali KTP Anda.',
  'nik.birth_date_mismatch': 'Tanggal lahir yang Anda isi berbeda dengan tanggal lahir di NIK. Periksa keduanya; jika sudah sesuai KTP, lanjutkan dan petugas akan memeriksanya.',
  'nik.sex_mismatch': 'Jenis kelamin yang Anda pilih berbeda dengan yang tercatat di NIK. Periksa keduanya; jika sudah sesuai KTP, lanjutkan dan petugas akan memeriksanya.',
};

function problem(code, params = {}) {
  return { code, params, message: MESSAGES[code].replace(/\{(\w+)\}/g, (_, k) => String(params[k])) };
}

const pad = (n) => String(n).padStart(2, '0');
const iso = (y, m, d) => `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;

function realDate(y, m, d) {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d ? iso(y, m, d) : null;
}

/** Today in UTC+9 (WIT), the latest calendar date anywhere in Indonesia, as YYYY-MM-DD. */
export function todayWit(now = new Date()) {
  return new Date(now.getTime() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

// DDMMYY in the century that keeps it on or before today (a NIK follows the birth)
function readDate(day, month, yy, today) {
  for (const century of [2000, 1900]) {
    const candidate = realDate(century + yy, month, day);
    if (candidate && candidate <= today) return candidate;
  }
  return null;
}

function digitsOf(text) {
  // NFKC turns full-width digits into ASCII ones; any whitespace is dropped, as people copy "3171 0112 …"
  const compact = String(text ?? '').normalize('NFKC').replace(/\s+/gu, '');
  if (!/^[0-9]*$/.test(compact)) return [null, [problem('nik.digits')]];
  if (compact.length !== 16) return [null, [problem('nik.length', { count: compact.length })]];
  return [compact, []];
}

const provincesOnly = { exists: (code) => (code.length === 2 ? PROVINCES.has(code) : null) };

function regionProblems(number, regions) {
  const province = number.slice(0, 2);
  const regency = `${province}.${number.slice(2, 4)}`;
  const district = `${regency}.${number.slice(4, 6)}`;
  if (!regions.exists(province)) return [[problem('nik.province_unknown', { province })], []];
  if (number.slice(2, 4) === '00' || number.slice(4, 6) === '00') return [[problem('nik.region_zero')], []];
  // null: this device does not know the list, so it says nothing
  if (regions.exists(regency) === false) return [[], [problem('nik.regency_unknown', { regency })]];
  if (regions.exists(district) === false) return [[], [problem('nik.district_unknown', { district })]];
  return [[], []];
}

/**
 * Check a NIK: {ok, errors, warnings, sex, birthDate, regionCode, nik}; problems are
 * {code, message, params}. Dates are YYYY-MM-DD strings; claimedSex is "L" or "P".
 */
export function validateNik(nik, { today = todayWit(), claimedBirthDate = null, claimedSex = null, regions = provincesOnly } = {}) {
  const [number, shapeProblems] = digitsOf(nik);
  if (!number) return { ok: false, errors: shapeProblems, warnings: [], sex: null, birthDate: null, regionCode: null, nik: null };
  const [errors, warnings] = regionProblems(number, regions);
  const regionCode = `${number.slice(0, 2)}.${number.slice(2, 4)}.${number.slice(4, 6)}`;
  const dd = Number(number.slice(6, 8));
  const month = Number(number.slice(8, 10));
  const yy = Number(number.slice(10, 12));
  let sex = dd > FEMALE_DAY_OFFSET ? 'P' : 'L';
  const day = sex === 'P' ? dd - FEMALE_DAY_OFFSET : dd;
  let birthDate = null;
  // a typed birth date with the same DDMMYY settles the century the NIK cannot show
  if (claimedBirthDate && claimedBirthDate <= today) {
    const [cy, cm, cd] = claimedBirthDate.split('-').map(Number);
    if (cd === day && cm === month && cy % 100 === yy && realDate(cy, cm, cd)) birthDate = claimedBirthDate;
  }
  birthDate = birthDate || readDate(day, month, yy, today);
  if (!birthDate) {
    errors.push(problem('nik.birth_date_invalid'));
    sex = null; // with the date wrong, the +40 cannot be trusted either
  }
  if (number.slice(12, 16) === '0000') errors.push(problem('nik.serial_zero'));
  if (birthDate && claimedBirthDate && claimedBirthDate !== birthDate) warnings.push(problem('nik.birth_date_mismatch'));
  if (sex && claimedSex && claimedSex.trim().toUpperCase() !== sex) warnings.push(problem('nik.sex_mismatch'));
  return { ok: errors.length === 0, errors, warnings, sex, birthDate, regionCode, nik: number };
}
