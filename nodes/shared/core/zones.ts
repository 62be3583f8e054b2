import { IANAZone } from 'luxon';

const hourMs = 3_600_000;
/** Per zone; a process that has seen this many distinct hours starts the zone's cache afresh. */
const maxCachedHours = 50_000;

/**
 * An IANA zone that remembers its UTC offset per hour of UTC time. luxon's IANAZone asks Intl for the offset
 * on every call (`formatToParts`, about 4 µs), and one send-time decision makes dozens of calls: a third of the
 * cadence's CPU (bench/notes.md). An hour's offset is cached only when its first and last millisecond agree;
 * an hour holding a transition is always asked afresh. So the result is exactly IANAZone's as long as no zone
 * changes its offset twice within one hour, which no zone in the tz database does. Still type "iana" with the
 * same name, so luxon treats it as the plain zone.
 */
class HourCachedZone extends IANAZone {
	private readonly offsets = new Map<number, number>();

	override offset(ts: number): number {
		if (!Number.isFinite(ts)) return super.offset(ts);
		const hour = Math.floor(ts / hourMs);
		const cached = this.offsets.get(hour);
		if (cached !== undefined) return cached;
		const first = super.offset(hour * hourMs);
		const last = super.offset(hour * hourMs + hourMs - 1);
		if (first !== last) return super.offset(ts);
		if (this.offsets.size >= maxCachedHours) this.offsets.clear();
		this.offsets.set(hour, first);
		return first;
	}
}

const zones = new Map<string, HourCachedZone>();
const validNames = new Set<string>();

/**
 * IANAZone.isValidZone, remembered for the names found valid: luxon builds an Intl formatter on every call (about
 * 0.2 ms), and every pack node checks the zone of every journey item it reads. Invalid names are asked afresh.
 */
export function isValidZoneName(name: string): boolean {
	if (validNames.has(name)) return true;
	const valid = IANAZone.isValidZone(name);
	if (valid) validNames.add(name);
	return valid;
}

/** The zone object luxon should compute in for a valid IANA name (see HourCachedZone). */
export function cachedZone(name: string): IANAZone {
	let zone = zones.get(name);
	if (!zone) {
		zone = new HourCachedZone(name);
		zones.set(name, zone);
	}
	return zone;
}

/** The zones most US practices are in, offered first, with the name people know them by. */
const usZones: Array<[zone: string, known: string]> = [
	['America/New_York', 'US Eastern'],
	['America/Chicago', 'US Central'],
	['America/Denver', 'US Mountain'],
	['America/Phoenix', 'US Mountain, Arizona: no daylight saving'],
	['America/Los_Angeles', 'US Pacific'],
	['America/Anchorage', 'US Alaska'],
	['Pacific/Honolulu', 'US Hawaii'],
	['America/Puerto_Rico', 'US Atlantic, Puerto Rico'],
];

/**
 * The IANA zones the runtime knows, as dropdown options: the US zones first, then every zone by name. `supported`
 * is `Intl.supportedValuesOf('timeZone')` unless a test gives its own list.
 */
export function timeZoneOptions(supported: readonly string[] = Intl.supportedValuesOf('timeZone')): Array<{ name: string; value: string }> {
	const known = new Set(supported);
	const first = usZones.filter(([zone]) => known.has(zone)).map(([zone, name]) => ({ name: `${zone} (${name})`, value: zone }));
	const firstValues = new Set(first.map((option) => option.value));
	const rest = [...known].filter((zone) => !firstValues.has(zone)).sort().map((zone) => ({ name: zone, value: zone }));
	return [...first, ...rest];
}
