import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import {
	placeholderLinkIssues,
	placeholderLinkProblem,
	rowsOf,
	schedulingLinksFromRows,
	staffFromRows,
	staffRowFieldOf,
} from '../../nodes/shared/core/practiceRows';

describe('practice profile rows: scheduling links', () => {
	it('gives one link per order type, and remembers the row each came from', () => {
		const result = schedulingLinksFromRows([
			{ orderType: 'default', url: ' https://book.riverside.test/s?o={orderId} ' },
			{ orderType: 'lab', url: 'https://labs.riverside.test/{orderId}' },
		]);
		expect(result).toEqual({
			links: { default: 'https://book.riverside.test/s?o={orderId}', lab: 'https://labs.riverside.test/{orderId}' },
			rowOfKey: { default: 0, lab: 1 },
			issues: [],
		});
	});

	it('refuses an order type given twice or unknown, by row, and keeps the first link', () => {
		const result = schedulingLinksFromRows([
			{ orderType: 'imaging', url: 'https://a.riverside.test/' },
			{ orderType: 'imaging', url: 'https://b.riverside.test/' },
			{ orderType: 'x-ray', url: 'https://c.riverside.test/' },
		]);
		expect(result.links).toEqual({ imaging: 'https://a.riverside.test/' });
		expect(result.issues).toEqual([
			{ field: '1.orderType', message: 'is already given in row 1' },
			{ field: '2.orderType', message: 'must be one of: followUpVisit, imaging, referral, lab, prescription, default' },
		]);
	});

	it('reads the rows n8n stores for a fixedCollection, and none from anything else', () => {
		expect(rowsOf({ link: [{ orderType: 'lab' }, null] }, 'link')).toEqual([{ orderType: 'lab' }]);
		expect(rowsOf({}, 'link')).toEqual([]);
		expect(rowsOf('{"link": []}', 'link')).toEqual([]);
		expect(rowsOf(undefined, 'link')).toEqual([]);
	});
});

describe('practice profile rows: staff directory', () => {
	it('turns a row into a staff entry the profile accepts: blank fields left out, per-EHR ids grouped', () => {
		const staff = staffFromRows([
			{
				key: 'care-coordinator', name: 'Maria Lopez', email: 'maria@riverside.test', phone: '', notifyBy: 'email',
				ehrUserId: 'Practitioner/7', athenahealthUserId: ' mlopez ', drchronoUserId: '', fhirUserId: '', tebraUserId: '', hl7v2UserId: '',
			},
			{ key: 'front-desk', name: 'Sam', phone: '+15125550100', notifyBy: 'sms' },
		]);
		expect(staff).toEqual([
			{ key: 'care-coordinator', name: 'Maria Lopez', email: 'maria@riverside.test', notifyBy: 'email', ehrUserId: 'Practitioner/7', ehrUserIds: { athenahealth: 'mlopez' } },
			{ key: 'front-desk', name: 'Sam', phone: '+15125550100', notifyBy: 'sms' },
		]);
		expect(parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100', staff }).staff).toHaveLength(2);
	});

	it('names the row field that holds a staff entry\'s field', () => {
		expect(staffRowFieldOf('email')).toBe('email');
		expect(staffRowFieldOf('ehrUserIds.drchrono')).toBe('drchronoUserId');
		expect(staffRowFieldOf('ehrUserIds.hl7v2')).toBe('hl7v2UserId');
	});
});

describe('scheduling links on placeholder domains', () => {
	it.each([
		['the form\'s default', 'https://example.org/schedule?order={orderId}', 'example.org'],
		['example.com', 'https://example.com/book', 'example.com'],
		['a subdomain of example.net', 'https://Book.Example.NET/s?order={orderId}', 'example.net'],
	])('refuses %s', (_case, link, domain) => {
		expect(placeholderLinkProblem(link)).toBe(`is a placeholder address (${domain}): give your practice's own booking page`);
	});

	it.each([
		'https://book.riverside.test/s?order={orderId}',
		'https://riverside.example/schedule?order={orderId}',
		'https://myexample.org/book',
		'https://example.org.riverside.test/book',
		'https://{visitId}.book.riverside.test/',
	])('accepts %s', (link) => {
		expect(placeholderLinkProblem(link)).toBeUndefined();
	});

	it('refuses a link that is not a web address', () => {
		expect(placeholderLinkProblem('book.riverside.test/s')).toMatch(/^must be a web address/);
	});

	it('reports each refused link by its order type', () => {
		expect(placeholderLinkIssues({ default: 'https://example.org/s', lab: 'https://labs.riverside.test/', imaging: '' })).toEqual([
			{ field: 'schedulingLinks.default', message: expect.stringMatching(/placeholder address \(example\.org\)/) },
		]);
	});
});
