/**
 * A valid North American number for test patient `serial` in `areaCode`: the exchange starts with 2–9 and is not
 * N11, as the pack's normaliser requires, and no two serials below 7,000,000 share a number.
 */
export function northAmericanNumber(areaCode: string, serial: number): string {
	let exchange = 200 + (Math.floor(serial / 10_000) % 700);
	if (exchange % 100 === 11) exchange += 1;
	return `+1${areaCode}${exchange}${String(serial % 10_000).padStart(4, '0')}`;
}
