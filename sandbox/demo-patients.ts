/** The demo practice's patients, the same people in every sandbox EHR. */
export interface DemoPatient {
	key: string;
	firstName: string;
	lastName: string;
	birthDate: string;
	/** E.164 */
	mobile?: string;
	landline?: string;
	email?: string;
	language: 'en' | 'es';
	zone: string;
	preferredChannel?: 'sms' | 'email';
}

/*
 * Mobile numbers use area code 555, which no region has: a real area code would set the patient's zone (the pack
 * reads it before the EHR's department or doctor zone), while the demo and the tests choose zones where it is
 * daytime now, whatever hour they run.
 */
export const demoPatients: DemoPatient[] = [
	{ key: 'ana', firstName: 'Ana', lastName: 'García', birthDate: '1984-03-12', mobile: '+15555550101', email: 'ana.garcia@patients.example', language: 'es', zone: 'America/Chicago' },
	{ key: 'john', firstName: 'John', lastName: 'Miller', birthDate: '1969-07-30', mobile: '+15555550102', email: 'john.miller@patients.example', language: 'en', zone: 'America/New_York', preferredChannel: 'sms' },
	{ key: 'leilani', firstName: 'Leilani', lastName: 'Kahale', birthDate: '1991-11-02', email: 'leilani.kahale@patients.example', language: 'en', zone: 'Pacific/Honolulu', preferredChannel: 'email' },
	{ key: 'ray', firstName: 'Ray', lastName: 'Patel', birthDate: '1958-01-19', landline: '+16025550104', language: 'en', zone: 'America/Phoenix' },
];

export const demoPractice = {
	name: 'Riverside Family Medicine',
	phone: '(512) 555-0100',
	zone: 'America/Chicago',
	coordinator: { key: 'care-coordinator', name: 'Maria Lopez', email: 'maria.lopez@riverside.example' },
	/** The Contact Hash Secret of the sandbox's journey store (demo and tests only, so not a secret). */
	contactHashSecret: 'sandbox-contact-hash-secret-0123456789abcdef',
};
