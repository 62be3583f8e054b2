import { VersionedNodeType } from 'n8n-workflow';
import type { INodeTypeBaseDescription, IVersionedNodeType } from 'n8n-workflow';

import { CadenceWaitV1 } from './CadenceWaitV1';
import { CadenceWaitV2 } from './CadenceWaitV2';
import { cadenceWaitBase } from './parameters';

export class CadenceWait extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			...cadenceWaitBase,
			icon: { light: 'file:cadenceWait.svg', dark: 'file:cadenceWait.dark.svg' },
			defaultVersion: 2,
		};
		const nodeVersions: IVersionedNodeType['nodeVersions'] = { 1: new CadenceWaitV1(), 2: new CadenceWaitV2() };
		super(nodeVersions, baseDescription);
	}
}
