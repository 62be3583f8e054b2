import { escapeXml, soapAction, soapEnvelope } from '../../../nodes/shared/ehr/tebra';
import { ordered } from '../../../nodes/shared/ehr/tebra/soap';
import { soapResult } from '../../../nodes/shared/ehr/tebra/soap';
import { EhrHttpError, EhrResponseError } from '../../../nodes/shared/ehr/http';
import { tebraLogin } from './helpers';

const wrap = (operation: string, result: string) =>
	`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><${operation}Response xmlns="http://www.kareo.com/api/schemas/"><${operation}Result>${result}</${operation}Result></${operation}Response></s:Body></s:Envelope>`;

describe('Tebra SOAP requests', () => {
	it('puts the request header and fields in contract (alphabetical) order, as WCF reads them', () => {
		const xml = soapEnvelope('GetAppointments', tebraLogin, { Filter: [], Fields: [] });
		const names = [...xml.matchAll(/<sch:(\w+)>/g)].map((match) => match[1]);
		expect(names).toEqual(['GetAppointments', 'request', 'Fields', 'Filter', 'RequestHeader', 'CustomerKey', 'Password', 'User']);
	});

	it('sends <Filter/> and <Fields/> even when empty', () => {
		expect(soapEnvelope('GetAppointments', tebraLogin, { Filter: [], Fields: [] })).toContain('<sch:Filter></sch:Filter>');
	});

	it.each([
		['&', '&amp;'],
		['<', '&lt;'],
		['>', '&gt;'],
		['"', '&quot;'],
		["'", '&apos;'],
	])('escapes %s in every field, the password included (guide §2.2)', (raw, escaped) => {
		expect(escapeXml(`a${raw}b`)).toBe(`a${escaped}b`);
		expect(soapEnvelope('GetPractices', { ...tebraLogin, password: `x${raw}y` }, {})).toContain(`<sch:Password>x${escaped}y</sch:Password>`);
	});

	it('names the operation in the quoted SOAPAction Tebra routes by', () => {
		expect(soapAction('GetPatient')).toBe('"http://www.kareo.com/api/schemas/KareoServices/GetPatient"');
	});

	it('orders nested members too and leaves out absent ones', () => {
		expect(ordered({ PatientID: '1', Alert: [], Practice: undefined }).map((node) => node.name)).toEqual(['Alert', 'PatientID']);
	});
});

describe('Tebra SOAP answers', () => {
	const security = (authenticated: boolean, authorized: boolean, missing = '') =>
		`<SecurityResponse><Authenticated>${authenticated}</Authenticated><Authorized>${authorized}</Authorized><PermissionsMissing>${missing}</PermissionsMissing></SecurityResponse>`;

	it.each([
		['a refused login', security(false, false), 401],
		['missing permissions', security(true, false, '<string>GetPatient</string>'), 403],
		['an error', `<ErrorResponse><IsError>true</IsError><ErrorMessage>Patient "Ana García" 5125550101 not found</ErrorMessage></ErrorResponse>${security(true, true)}`, 422],
	])('turns %s into an EhrHttpError without echoing values', (_case, body, status) => {
		let caught: unknown;
		try {
			soapResult(wrap('GetPatient', body), 'GetPatient');
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(EhrHttpError);
		expect((caught as EhrHttpError).status).toBe(status);
		expect((caught as Error).message).not.toMatch(/Ana|5125550101/);
	});

	it.each([
		['not XML', 'oops <'],
		['no result', '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>'],
	])('refuses an answer that is %s', (_case, body) => {
		expect(() => soapResult(body, 'GetPatient')).toThrow(EhrResponseError);
	});
});
