import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

import { owner } from '../../sandbox/n8n';

/** Debian's Chromium, headless, without the background traffic that would slow or flake a test. */
export async function launchChromium(): Promise<Browser> {
	return await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/** The owner's n8n-auth cookie, from the same REST login the sign-in form posts. */
export async function ownerAuthCookie(baseUrl: string): Promise<string> {
	const response = await fetch(`${baseUrl}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
	});
	const cookie = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
	if (!response.ok || !cookie) throw new Error(`owner login failed with ${response.status}`);
	return cookie.split(';')[0].slice('n8n-auth='.length);
}
