import { DateTime } from 'luxon';

/** The fixed-offset IANA zones, UTC−12 … UTC+14 (Etc/GMT±N has no DST and its sign is inverted). */
function fixedOffsetZones(): string[] {
	const zones: string[] = [];
	for (let offset = -12; offset <= 14; offset++) {
		zones.push(offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`);
	}
	return zones;
}

/**
 * A zone in which `now` falls inside [startHour, endHour) local time, with an hour's margin at both ends, so a
 * demo visit (or a test) is allowed to send whatever hour it runs.
 */
export function zoneWhereNowIsBetween(startHour: number, endHour: number, now = DateTime.utc()): string {
	const zone = fixedOffsetZones().find((candidate) => {
		const hour = now.setZone(candidate).hour;
		return hour >= startHour + 1 && hour < endHour - 1;
	});
	if (!zone) throw new Error(`no zone has a local hour between ${startHour + 1} and ${endHour - 1} now`);
	return zone;
}

/** A zone in which `now` is deep night (01:00–05:00), for held-send demos and tests. */
export function zoneWhereNowIsAtNight(now = DateTime.utc()): string {
	const zone = fixedOffsetZones().find((candidate) => {
		const hour = now.setZone(candidate).hour;
		return hour >= 1 && hour < 5;
	});
	if (!zone) throw new Error('no zone has a local hour between 1 and 5 now');
	return zone;
}

/** Local wall-clock time in a zone, "HH:mm", for messages that say which zone a demo uses. */
export function localTimeIn(zone: string, now = DateTime.utc()): string {
	return now.setZone(zone).toFormat('HH:mm');
}
