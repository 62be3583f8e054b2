import { DomainError } from '../../nodes/shared/core/errors';
import { endedForGood } from '../../nodes/shared/core/journal';
import { allowedInTestMode, assigneeIdFor, parsePracticeProfile, testModeOn } from '../../nodes/shared/core/practice';

const base = { practiceName: 'Riverside', practicePhone: '(512) 555-0100' };

describe('staff directory: the assignee\'s id in the journey\'s EHR', () => {
	it('takes the per-EHR id where given and the general one elsewhere', () => {
		const profile = parsePracticeProfile({
			...base,
			staff: [{ key: 'coordinator', name: 'Jo', ehrUserId: 'Practitioner/jo', ehrUserIds: { athenahealth: 'jcoordinator', drchrono: 'carecoord' } }],
		});
		const [jo] = profile.staff;
		expect(assigneeIdFor(jo!, 'athenahealth')).toBe('jcoordinator');
		expect(assigneeIdFor(jo!, 'drchrono')).toBe('carecoord');
		expect(assigneeIdFor(jo!, 'fhir')).toBe('Practitioner/jo');
	});

	it('has no id when neither is given (the adapter then says an assignee is needed)', () => {
		const [jo] = parsePracticeProfile({ ...base, staff: [{ key: 'coordinator', name: 'Jo' }] }).staff;
		expect(assigneeIdFor(jo!, 'drchrono')).toBeUndefined();
	});

	it('refuses an EHR it does not know and an empty id, naming the field', () => {
		for (const ehrUserIds of [{ epic: 'x' }, { drchrono: '' }]) {
			let caught: unknown;
			try {
				parsePracticeProfile({ ...base, staff: [{ key: 'coordinator', name: 'Jo', ehrUserIds }] });
			} catch (error) {
				caught = error;
			}
			expect(caught).toBeInstanceOf(DomainError);
			expect((caught as DomainError).field).toMatch(/^staff\.0\.ehrUserIds/);
		}
	});
});

describe('test mode: "send only to" these numbers and addresses', () => {
	it('is off with an empty list, and lets every address through', () => {
		const profile = parsePracticeProfile(base);
		expect(testModeOn(profile)).toBe(false);
		expect(allowedInTestMode(profile, 'sms', '+15125550101')).toBe(true);
	});

	it('keeps entries in canonical form and compares addresses however they are written', () => {
		const profile = parsePracticeProfile({ ...base, testModeSendOnlyTo: [' (512) 555-0101 ', 'Jo.Staff@Riverside.test'] });
		expect(profile.testModeSendOnlyTo).toEqual(['+15125550101', 'jo.staff@riverside.test']);
		expect(testModeOn(profile)).toBe(true);
		expect(allowedInTestMode(profile, 'sms', '512.555.0101')).toBe(true);
		expect(allowedInTestMode(profile, 'voice', '+1 512 555 0101')).toBe(true);
		expect(allowedInTestMode(profile, 'email', 'JO.STAFF@riverside.test')).toBe(true);
		expect(allowedInTestMode(profile, 'sms', '+15125550102')).toBe(false);
		expect(allowedInTestMode(profile, 'email', 'ana@example.test')).toBe(false);
		expect(allowedInTestMode(profile, 'sms', 'not a number')).toBe(false);
	});

	it('refuses an entry that is neither a phone number nor an email address, naming the entry', () => {
		let caught: unknown;
		try {
			parsePracticeProfile({ ...base, testModeSendOnlyTo: ['+15125550101', 'jo at riverside'] });
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(DomainError);
		expect((caught as DomainError).field).toBe('testModeSendOnlyTo.1');
		expect((caught as DomainError).message).toMatch(/must be a phone number or an email address/);
	});
});

describe('a journey ended for good', () => {
	const entry = (type: string, code?: string) => ({ at: '2026-01-05T15:00:00Z', journeyId: 'visit:fhir:1', patientKey: 'p', type, ...(code ? { code } : {}) });

	it('is one test mode ended; one ended because the visit is no longer completed is not', () => {
		expect(endedForGood([entry('touch.sent'), entry('journey.ended', 'testMode')])).toBe('testMode');
		expect(endedForGood([entry('journey.ended', 'noLongerDue'), entry('touch.suppressed', 'testMode')])).toBeUndefined();
		expect(endedForGood([])).toBeUndefined();
	});
});
