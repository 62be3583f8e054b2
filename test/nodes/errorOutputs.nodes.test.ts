import { join } from 'node:path';

import type { IDataObject, INodeParameters, INodeType, IVersionedNodeType } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { RecordDelivery } from '../../nodes/RecordDelivery/RecordDelivery.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import { openJourneyStore } from '../../nodes/shared/store';
import { runWorkflow } from '../helpers/engine';
import type { WorkflowFixture } from '../helpers/engine';
import { packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';

/*
 * "On Error" as n8n's engine applies it (n8n-core's handleNodeErrorOutput): with "Continue (using error output)"
 * a failed item leaves by the error output, carrying the input's fields; with plain "Continue" it stays on the
 * first output and the next pack node passes it through without acting on it. Either way it is journaled once.
 */

const nodeTypes: Record<string, INodeType | IVersionedNodeType> = {
	visitDetails: new VisitDetails(),
	bookingCheck: new BookingCheck(),
	channelRouter: new ChannelRouter(),
	patientMessage: new PatientMessage(),
	cadenceWait: new CadenceWait(),
	recordDelivery: new RecordDelivery(),
};

/** A journey item whose event does not parse (no visit id, no patient): every journey node fails on it. */
const brokenJourney: IDataObject = {
	kind: 'visit',
	ehr: 'fhir',
	opsNote: 'kept through the error output',
	journey: { journeyId: 'visit:fhir:broken-1', patientKey: 'fhir:pat-broken', stage: 0, holds: 0, steps: [] },
};

interface Case {
	node: string;
	parameters: INodeParameters;
	typeVersion?: number;
	/** Regular outputs (the error output comes after them). */
	outputs: number;
	input: IDataObject;
	journaled: boolean;
}

const cases: Case[] = [
	{ node: 'visitDetails', parameters: { ehr: 'fhir' }, outputs: 2, input: { opsNote: 'kept through the error output', eventId: 'e-1' }, journaled: false },
	{ node: 'bookingCheck', parameters: { ehr: 'fhir' }, outputs: 2, input: brokenJourney, journaled: true },
	{ node: 'channelRouter', parameters: { stage: 1 }, outputs: 2, input: brokenJourney, journaled: true },
	{ node: 'patientMessage', parameters: { stage: 1 }, outputs: 3, input: brokenJourney, journaled: true },
	{ node: 'cadenceWait', parameters: { step: 'Reminder', anchor: 'visitClose', amount: 2, unit: 'days' }, typeVersion: 2, outputs: 2, input: brokenJourney, journaled: true },
	{ node: 'recordDelivery', parameters: { operation: 'twilioStatus', ehr: 'fhir' }, outputs: 4, input: { opsNote: 'kept through the error output', MessageStatus: 42 }, journaled: false },
];

function credentials(storePath: string) {
	return {
		fhirR4Api: { baseUrl: 'http://127.0.0.1:9/fhir', authentication: 'none', accessToken: '' },
		journeyStoreApi: { backend: 'sqlite', sqlitePath: storePath, contactHashSecret: testContactHashSecret },
		practiceProfileApi: practiceProfileCredential(),
	};
}

function workflow(testCase: Case, onError: 'continueErrorOutput' | 'continueRegularOutput'): WorkflowFixture {
	return {
		nodes: [
			{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify([testCase.input]) } },
			{ name: 'Failing', type: `n8n-nodes-post-visit.${testCase.node}`, parameters: testCase.parameters, typeVersion: testCase.typeVersion ?? 1, onError },
			// Plain "Continue" leaves the item on output 0: the next pack node must carry it through untouched.
			{ name: 'Next', type: 'n8n-nodes-post-visit.bookingCheck', parameters: { ehr: 'fhir' } },
		],
		connections: {
			Fixture: { main: [[{ node: 'Failing', type: 'main', index: 0 }]] },
			Failing: { main: [[{ node: 'Next', type: 'main', index: 0 }]] },
		},
	};
}

async function failures(storePath: string): Promise<number> {
	const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
	try {
		return (await store.journal({ type: 'node.failed' })).length;
	} finally {
		await store.close();
	}
}

describe.each(cases)('$node under "On Error"', (testCase) => {
	it('"Continue (using error output)" sends the failed item out of the error output, with the input\'s fields', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const result = await runWorkflow(workflow(testCase, 'continueErrorOutput'), { nodeTypes, credentials: credentials(storePath), credentialTypes: packCredentialTypes() });
		expect(result.status).toBe('success');
		for (let output = 0; output < testCase.outputs; output++) expect([output, result.output('Failing', output)]).toEqual([output, []]);
		const [failed] = result.output('Failing', testCase.outputs);
		expect(failed).toMatchObject({ opsNote: 'kept through the error output', error: expect.any(String) });
		expect(result.output('Next', 0)).toEqual([]);
		expect(await failures(storePath)).toBe(testCase.journaled ? 1 : 0);
	});

	it('"Continue" leaves it on the first output, and the next pack node passes it through without acting', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const result = await runWorkflow(workflow(testCase, 'continueRegularOutput'), { nodeTypes, credentials: credentials(storePath), credentialTypes: packCredentialTypes() });
		expect(result.status).toBe('success');
		const [failed] = result.output('Failing', 0);
		expect(failed).toEqual({ error: expect.any(String), details: expect.any(String) });
		expect(result.output('Next', 0)).toEqual([failed]);
		expect(result.output('Next', 1)).toEqual([]);
		expect(await failures(storePath)).toBe(testCase.journaled ? 1 : 0);
	});
});
