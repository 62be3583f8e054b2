import { isGsm7Character, smartEncode, smsSegments, type SmsEncoding } from '../../nodes/shared/core/compose/segments';

const a = (count: number) => 'a'.repeat(count);
const accented = (count: number) => 'á'.repeat(count);

describe('smsSegments', () => {
	it.each<[string, string, SmsEncoding, number, number]>([
		['empty', '', 'GSM-7', 0, 0],
		['one GSM character', 'a', 'GSM-7', 1, 1],
		['160 GSM characters', a(160), 'GSM-7', 1, 160],
		['161 GSM characters', a(161), 'GSM-7', 2, 161],
		['306 GSM characters', a(306), 'GSM-7', 2, 306],
		['307 GSM characters', a(307), 'GSM-7', 3, 307],
		['459 GSM characters', a(459), 'GSM-7', 3, 459],
		['460 GSM characters', a(460), 'GSM-7', 4, 460],
		['80 euro signs fill one segment', '€'.repeat(80), 'GSM-7', 1, 160],
		['159 + one extension character', `${a(159)}€`, 'GSM-7', 2, 161],
		['158 + one extension character', `${a(158)}[`, 'GSM-7', 1, 160],
		['escape sequence is not split at 153', `${a(152)}€${a(152)}`, 'GSM-7', 3, 306],
		['escape sequence fitting at 153', `${a(151)}€${a(153)}`, 'GSM-7', 2, 306],
		['all extension characters', '\f^{}\\[~]|€', 'GSM-7', 1, 20],
		['70 UCS-2 characters', accented(70), 'UCS-2', 1, 70],
		['71 UCS-2 characters', accented(71), 'UCS-2', 2, 71],
		['134 UCS-2 characters', accented(134), 'UCS-2', 2, 134],
		['135 UCS-2 characters', accented(135), 'UCS-2', 3, 135],
		['35 emoji are 70 code units', '😀'.repeat(35), 'UCS-2', 1, 70],
		['36 emoji are 72 code units', '😀'.repeat(36), 'UCS-2', 2, 72],
		['surrogate pair is not split at 67', `${accented(66)}😀${accented(66)}`, 'UCS-2', 3, 134],
		['one non-GSM character turns the whole text UCS-2', `${a(69)}ó`, 'UCS-2', 1, 70],
		['ç is not in the default alphabet (only Ç is)', 'ç', 'UCS-2', 1, 1],
		['extension characters count 1 in UCS-2', '€á', 'UCS-2', 1, 2],
	])('%s', (_name, text, encoding, segments, characters) => {
		expect(smsSegments(text)).toEqual({ encoding, segments, characters });
	});

	it.each<[string, SmsEncoding, number]>([
		// ñ, é, ü, ¿, ¡ are in the GSM-7 default alphabet
		['¿Señor Müller? ¡Qué bien!', 'GSM-7', 25],
		['Hola José, mañana a las 10. ¿Puede venir?', 'GSM-7', 41],
		// á, í, ó, ú are not
		['Agende aquí', 'UCS-2', 11],
		['Responda ALTO para no recibir más mensajes.', 'UCS-2', 43],
		['Llámenos', 'UCS-2', 8],
		['Canción', 'UCS-2', 7],
		['Útil', 'UCS-2', 4],
	])('Spanish %j is %s', (text, encoding, characters) => {
		expect(smsSegments(text)).toMatchObject({ encoding, characters });
	});
});

describe('isGsm7Character', () => {
	it.each<[string, boolean]>([
		['@', true],
		['£', true],
		['¤', true],
		['Δ', true],
		['ñ', true],
		['Ñ', true],
		['é', true],
		['É', true],
		['ü', true],
		['à', true],
		['ò', true],
		['¿', true],
		['§', true],
		['\n', true],
		['€', true],
		['\\', true],
		['á', false],
		['í', false],
		['ó', false],
		['ú', false],
		['Á', false],
		['ê', false],
		['`', false],
		['’', false],
		['\u001b', false],
	])('%j → %s', (char, expected) => {
		expect(isGsm7Character(char)).toBe(expected);
	});
});

describe('smartEncode', () => {
	it.each<[string, string, string]>([
		['acute vowels', 'Agende aquí, Llámenos, Canción, Útil, Él', 'Agende aqui, Llamenos, Cancion, Util, Él'],
		['letters already in GSM-7 stay', '¿Señor Müller? ¡Qué bien! à è ù ì ò Ç Ñ É Ä Ö Ü ß', '¿Señor Müller? ¡Qué bien! à è ù ì ò Ç Ñ É Ä Ö Ü ß'],
		['other accents', 'ç â ê î ô û ã õ ë ï È Ê', 'c a e i o u a o e i E E'],
		['curly quotes', '\u2018Hi\u2019 \u201CHi\u201D \u00ABHola\u00BB don\u2019t', "'Hi' \"Hi\" \"Hola\" don't"],
		['dashes and bullets', '9\u201310 \u2014 now \u2022 ok \u2212 1', '9-10 - now - ok - 1'],
		['ellipsis', 'Wait\u2026', 'Wait...'],
		['non-breaking and other spaces', 'a\u00A0b\u2009c\u202Fd\te', 'a b c d e'],
		['zero-width characters and soft hyphens go', 'a\u200Bb\uFEFFc\u00ADd', 'abcd'],
		['no equivalent: emoji and other scripts stay', 'Hi 😀 你好', 'Hi 😀 你好'],
		['plain GSM-7 text is unchanged', 'Reply STOP to opt out. {€}', 'Reply STOP to opt out. {€}'],
	])('%s', (_name, text, expected) => {
		expect(smartEncode(text)).toBe(expected);
	});

	it('turns a Spanish text with accents from UCS-2 into GSM-7, more than halving its segments', () => {
		const text =
			'Hola Ana, gracias por su visita a Clínica Familiar del Río el 30 de septiembre. Siguiente paso: su examen ' +
			'de laboratorio. Agende su cita: https://book.example.com/s?order=ord-7 ¿Preguntas? Llámenos al (512) 555-0100.';
		expect(smsSegments(text)).toMatchObject({ encoding: 'UCS-2', segments: 4 });
		expect(smsSegments(smartEncode(text))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
	});

	it('leaves UCS-2 text it cannot map as UCS-2', () => {
		expect(smsSegments(smartEncode('Gracias 🙏 aquí')).encoding).toBe('UCS-2');
	});
});
