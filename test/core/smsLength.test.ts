import { composeMessage } from '../../nodes/shared/core/compose/compose';
import { actionTypeLabels, templateLanguages, type TemplateId } from '../../nodes/shared/core/compose/templates';
import type { ActionItemType } from '../../nodes/shared/core/schemas';
import { demoPatients, demoPractice } from '../../sandbox/demo-patients';

/** Worst case the issue sets: a 40-character practice name and a 60-character scheduling link. */
const practiceName = 'Riverside Family Medicine & Pediatrics X';
const schedulingLink = 'https://schedule.riverside-family.example/book?o=ord-1234567';
const firstSmsOfJourney: Record<TemplateId, boolean> = {
	careSummary: true,
	followUpConfirmation: true,
	recallNudge: true,
	actionReminder: false,
	recallReminder: false,
	staffNotification: false,
	voiceReminder: false,
};
const stageOneAndTwo = ['careSummary', 'followUpConfirmation', 'recallNudge', 'actionReminder', 'recallReminder'] as const;
/** The 30th of every month but February, so the longest month name in each language is among them. */
const visitDates = Array.from({ length: 12 }, (_, month) => `2026-${String(month + 1).padStart(2, '0')}-${month === 1 ? '28' : '30'}`);

describe('default SMS length (worst case: 40-character practice name, 60-character link)', () => {
	it('holds the worst-case values the issue names', () => {
		expect(practiceName).toHaveLength(40);
		expect(schedulingLink).toHaveLength(60);
	});

	const cases = stageOneAndTwo.flatMap((template) =>
		templateLanguages.flatMap((language) => demoPatients.map((patient) => [template, language, patient.firstName] as const)),
	);

	it.each(cases)('%s in %s for %s is at most 2 GSM-7 segments for every action type and visit date', (template, language, firstName) => {
		const actionTypes = Object.keys(actionTypeLabels[language]) as ActionItemType[];
		const tooLong: string[] = [];
		for (const actionType of actionTypes) {
			for (const visitDate of visitDates) {
				const { sms } = composeMessage({
					template,
					channel: 'sms',
					language,
					firstSms: firstSmsOfJourney[template],
					vars: {
						firstName,
						practiceName,
						practicePhone: demoPractice.phone,
						actionType,
						actionDescription: 'Mammogram, diagnostic bilateral, with ultrasound if needed',
						visitDate,
						schedulingLink,
					},
				});
				if (sms!.encoding !== 'GSM-7' || sms!.segments > 2) tooLong.push(`${actionType} ${visitDate}: ${sms!.segments} ${sms!.encoding}`);
			}
		}
		expect(tooLong).toEqual([]);
	});
});
