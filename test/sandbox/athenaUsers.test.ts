import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { assigneeIdFor } from '../../nodes/shared/core/practice';
import { practiceProfileFromCredential } from '../../nodes/shared/n8n/profile';
import { practiceProfileData, startSandboxAthena } from '../../sandbox/environment';

describe('the sandbox\'s athenahealth', () => {
	it('knows the athenaNet username of every staff member of the sandbox\'s practice profile, so their cases get assigned', async () => {
		const athena = await startSandboxAthena(0);
		try {
			const { staff } = practiceProfileFromCredential(practiceProfileData() as ICredentialDataDecryptedObject);
			expect(staff.length).toBeGreaterThan(0);
			for (const member of staff) expect([member.key, athena.state.users.has(assigneeIdFor(member, 'athenahealth') ?? '')]).toEqual([member.key, true]);
		} finally {
			await athena.close();
		}
	});
});
