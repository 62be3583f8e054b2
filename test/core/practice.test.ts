import { DomainError } from '../../nodes/shared/core/errors';
import { assigneeIdFor, parsePracticeProfile } from '../../nodes/shared/core/practice';

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
