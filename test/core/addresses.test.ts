import { canonicalAddress, emailAddress, isE164, sameAddress, toE164 } from '../../nodes/shared/core/addresses';

describe('toE164: North American numbers', () => {
	it.each([
		['+15125550100', '+15125550100'],
		['+1 (512) 555-0100', '+15125550100'],
		[' +1.512.555.0100 ', '+15125550100'],
		['(512) 555-0100', '+15125550100'],
		['512/555-0100', '+15125550100'],
		['5125550100', '+15125550100'],
		['1-512-555-0100', '+15125550100'],
		['15125550100', '+15125550100'],
		['tel:+1-512-555-0100', '+15125550100'],
		['TEL:5125550100', '+15125550100'],
		['(512) 555-0100 x204', '+15125550100'],
		['512-555-0100 ext. 7', '+15125550100'],
		['512.555.0100 #12', '+15125550100'],
		['+1 800 555 0199', '+18005550199'],
		['011 44 20 7946 0958', '+442079460958'],
	])('%j → %s', (raw, expected) => {
		expect(toE164(raw)).toBe(expected);
	});

	it.each([
		['an area code starting with 0', '+1 012 555 0100'],
		['an area code starting with 1', '(112) 555-0100'],
		['an exchange starting with 0', '512-055-0100'],
		['an exchange starting with 1', '+1 512 155 0100'],
		['an N11 area code', '411-555-0100'],
		['an N11 exchange', '512-911-0100'],
		['nine digits', '512-555-010'],
		['eleven digits not starting with 1', '25125550100'],
		['twelve digits', '+1 512 555 01000'],
		['seven digits (no area code)', '555-0100'],
		['letters', 'call 512-555-0100'],
		['a vanity number', '1-800-FLOWERS'],
		['a plus inside', '512+555-0100'],
		['two numbers', '512-555-0100 / 512-555-0101'],
		['empty', ''],
		['blanks', '   '],
		['nothing', undefined],
		['null', null],
	])('refuses %s (%j)', (_why, raw) => {
		expect(toE164(raw)).toBeUndefined();
	});
});

describe('toE164: numbers outside North America', () => {
	it.each([
		['+44 20 7946 0958', '+442079460958'],
		['0044 20 7946 0958', '+442079460958'],
		['+52 55 1234 5678', '+525512345678'],
		['+49 30 1234567', '+49301234567'],
		['+33 6 12 34 56 78', '+33612345678'],
		['+63 917 123 4567', '+639171234567'],
		['+683 4002', '+6834002'],
	])('%j → %s', (raw, expected) => {
		expect(toE164(raw)).toBe(expected);
	});

	it.each([
		['a length the UK plan does not have', '+44 123456'],
		['a length the French plan does not have', '+33 6 12 34 56 7'],
		['a Mexican number one digit short', '+52 55 1234 567'],
		['a country code no country has', '+999 123 456 789'],
		['an unassigned two-digit code', '+28 1234 5678'],
		['a global service code, not a patient phone', '+800 1234 5678'],
		['a leading zero country code', '+0 512 555 0100'],
		['more than 15 digits', '+49 301 234 567 890 123'],
		['six digits', '+123456'],
	])('refuses %s (%j)', (_why, raw) => {
		expect(toE164(raw)).toBeUndefined();
	});

	it.each([
		['44', '020 7946 0958', '+442079460958'],
		['44', '07700 900123', '+447700900123'],
		['52', '55 1234 5678', '+525512345678'],
		['44', '+1 512 555 0100', '+15125550100'],
		['44', '0044 20 7946 0958', '+442079460958'],
	])('national numbers of country %s: %j → %s', (defaultCountryCode, raw, expected) => {
		expect(toE164(raw, { defaultCountryCode })).toBe(expected);
	});

	it.each([
		['44', '020 794'],
		['44', '12345'],
		['abc', '020 7946 0958'],
	])('refuses national numbers of country %s that its plan does not have: %j', (defaultCountryCode, raw) => {
		expect(toE164(raw, { defaultCountryCode })).toBeUndefined();
	});
});

describe('isE164', () => {
	it.each([
		['+15125550100', true],
		['+442079460958', true],
		['+1 512 555 0100', false],
		['5125550100', false],
		['+15120550100', false],
		['+4412345', false],
		[undefined, false],
		[15125550100, false],
	])('%j → %s', (value, expected) => {
		expect(isE164(value)).toBe(expected);
	});
});

describe('emails', () => {
	it.each([
		['pat@example.com', 'pat@example.com'],
		['  Pat.Doe@Example.COM\t', 'Pat.Doe@Example.COM'],
		['pat+visits@clinic.example.org', 'pat+visits@clinic.example.org'],
	])('emailAddress(%j) → %j (as written, trimmed)', (raw, expected) => {
		expect(emailAddress(raw)).toBe(expected);
	});

	it.each(['pat.example.com', 'pat @example.com', 'pat@', '@example.com', 'pat@@example.com', 'pat@example', '', `${'a'.repeat(250)}@example.com`, undefined, null])(
		'refuses %j',
		(raw) => {
			expect(emailAddress(raw)).toBeUndefined();
		},
	);
});

describe('canonicalAddress and sameAddress', () => {
	it.each([
		['sms', '(512) 555-0100', '+15125550100'],
		['voice', '1 512 555 0100', '+15125550100'],
		['email', ' Pat.Doe@Example.COM ', 'pat.doe@example.com'],
		['sms', 'not a number', undefined],
		['email', 'not an address', undefined],
	] as const)('%s %j → %j', (channel, raw, expected) => {
		expect(canonicalAddress(channel, raw)).toBe(expected);
	});

	it.each([
		['sms', '+15125550100', '(512) 555-0100', true],
		['voice', '+15125550100', '1.512.555.0100', true],
		['sms', '+15125550100', '+15125550101', false],
		['email', 'Pat@Example.com', ' pat@example.com', true],
		['email', 'pat@example.com', 'pat@example.org', false],
		['sms', 'garbage', ' garbage ', true],
		['sms', 'garbage', '+15125550100', false],
		['sms', '+15120550100', '+1 512 055 0100', false],
	] as const)('%s: %j and %j → %s', (channel, a, b, expected) => {
		expect(sameAddress(channel, a, b)).toBe(expected);
	});
});
