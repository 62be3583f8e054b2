import { classifyReply, replyWords, type ReplyKind } from '../../nodes/shared/core/replies';

describe('classifyReply', () => {
	it.each<[string, ReplyKind, string | undefined]>([
		// Opt-out: English carrier keywords
		['STOP', 'optOut', 'STOP'],
		['stop', 'optOut', 'STOP'],
		['  Stop  ', 'optOut', 'STOP'],
		['Stop.', 'optOut', 'STOP'],
		['STOP!!!', 'optOut', 'STOP'],
		['Stop. Thank you', 'optOut', 'STOP'],
		['Stop texting me', 'optOut', 'STOP'],
		['Stop all these text messages please', 'optOut', 'STOP'],
		['STOPALL', 'optOut', 'STOPALL'],
		['Unsubscribe', 'optOut', 'UNSUBSCRIBE'],
		['END', 'optOut', 'END'],
		['quit', 'optOut', 'QUIT'],
		['Revoke', 'optOut', 'REVOKE'],
		['OPTOUT', 'optOut', 'OPTOUT'],
		['opt out', 'optOut', 'OPT OUT'],
		['Opt-out', 'optOut', 'OPT OUT'],
		['CANCEL', 'optOut', 'CANCEL'],
		['cancel.', 'optOut', 'CANCEL'],
		['Cancel all texts please', 'optOut', 'CANCEL'],
		['Please stop', 'optOut', 'STOP'],
		['Hi, stop please', 'optOut', 'STOP'],
		// Opt-out: Spanish
		['ALTO', 'optOut', 'ALTO'],
		['¡Alto!', 'optOut', 'ALTO'],
		['Alto por favor', 'optOut', 'ALTO'],
		['Por favor, alto', 'optOut', 'ALTO'],
		['parar', 'optOut', 'PARAR'],
		['Pare', 'optOut', 'PARE'],
		['Detener', 'optOut', 'DETENER'],
		['Cancelar', 'optOut', 'CANCELAR'],
		['cancelar todos los mensajes', 'optOut', 'CANCELAR'],
		['No más', 'optOut', 'NO MAS'],
		['NO MAS', 'optOut', 'NO MAS'],
		['no más mensajes, gracias', 'optOut', 'NO MAS'],
		['Baja', 'optOut', 'BAJA'],
		['Dar de baja', 'optOut', 'DAR DE BAJA'],
		// Unicode: full-width letters, smart quotes, ellipsis, emoji, zero-width and combining marks
		['ＳＴＯＰ', 'optOut', 'STOP'],
		['“STOP”', 'optOut', 'STOP'],
		['Stop…', 'optOut', 'STOP'],
		['STOP 🛑', 'optOut', 'STOP'],
		['🛑 stop 🙏', 'optOut', 'STOP'],
		['S\u200BTOP', 'optOut', 'STOP'],
		['ALTO\u0301', 'optOut', 'ALTO'],
		['«Alto»', 'optOut', 'ALTO'],
		['stop\nthanks', 'optOut', 'STOP'],
		// A short message holding STOP anywhere
		['Yes stop', 'optOut', 'STOP'],
		['I said STOP', 'optOut', 'STOP'],
		['ok unsubscribe me', 'optOut', 'UNSUBSCRIBE'],
		// Not opt-outs: sentences that reach a person
		['I need to cancel my appointment on Friday', 'other', undefined],
		['Cancel my appointment', 'other', undefined],
		['Cancelar mi cita', 'other', undefined],
		['Can you tell me when my visit ends and what to bring along?', 'other', undefined],
		['Stop by the pharmacy tomorrow, you said, which one is open late?', 'other', undefined],
		['No', 'other', undefined],
		['OK', 'other', undefined],
		['', 'other', undefined],
		['   ', 'other', undefined],
		['👍', 'other', undefined],
		['?!', 'other', undefined],
		['Thanks!', 'other', undefined],
		['Who is this?', 'other', undefined],
		['停止', 'other', undefined],
		// Opt-in
		['START', 'optIn', 'START'],
		['Unstop', 'optIn', 'UNSTOP'],
		['subscribe', 'optIn', 'SUBSCRIBE'],
		['Resume', 'optIn', 'RESUME'],
		['Start messages again please', 'optIn', 'START'],
		['Comenzar', 'optIn', 'COMENZAR'],
		['reanudar', 'optIn', 'REANUDAR'],
		['Start time of my appointment?', 'other', undefined],
		// Help
		['HELP', 'help', 'HELP'],
		['help me please', 'help', 'HELP'],
		['Info', 'help', 'INFO'],
		['Ayuda', 'help', 'AYUDA'],
		['¿Ayuda?', 'help', 'AYUDA'],
		// Book
		['YES', 'book', 'YES'],
		['yes please', 'book', 'YES'],
		['Y', 'book', 'Y'],
		['y que hora', 'other', undefined],
		['Sí', 'book', 'SI'],
		['si, gracias 😊', 'book', 'SI'],
		['Book', 'book', 'BOOK'],
		['Schedule', 'book', 'SCHEDULE'],
		['Agendar', 'book', 'AGENDAR'],
		['Cita', 'book', 'CITA'],
		['Hola, sí', 'book', 'SI'],
		['Yes I would like to book it next week', 'other', undefined],
	])('%j → %s', (text, kind, keyword) => {
		expect(classifyReply(text)).toEqual(keyword === undefined ? { kind } : { kind, keyword });
	});

	it('treats a missing text as other', () => {
		expect(classifyReply(undefined as unknown as string)).toEqual({ kind: 'other' });
	});
});

describe('replyWords', () => {
	it.each<[string, string[]]>([
		['¡No más, por favor!', ['NO', 'MAS', 'POR', 'FAVOR']],
		['ＳＴＯＰ🛑', ['STOP']],
		["don't", ['DON', 'T']],
		['Ñandú 123', ['NANDU', '123']],
	])('%j → %j', (text, words) => {
		expect(replyWords(text)).toEqual(words);
	});
});
