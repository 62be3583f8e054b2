/*
 * Where a US patient is, from their ZIP code or their phone's area code: compact tables of IANA zones.
 *
 * Source: written by hand for this package from the US time-zone boundaries (49 CFR part 71) laid over the USPS
 * three-digit ZIP prefixes (sectional centers) and the NANPA area-code map, because no maintained ZIP→zone data
 * set is installable here. Confidence: high for a prefix or code inside one state of one zone; where a prefix or
 * code crosses a zone line (or a place there keeps another zone unofficially: Phenix City AL, Kenton OK, Jackpot
 * and West Wendover NV, the Navajo Nation in Arizona) it lists every zone, first the one most of its people live
 * in, and the send window must hold in all of them. A prefix or code not listed (military APO/FPO, unused,
 * Canada and the Caribbean) gives no zone, and the next source applies. Docs: docs/time-zones.md.
 */

/** One letter per zone, to keep the tables short. */
const zoneLetters: Readonly<Record<string, string>> = {
	E: 'America/New_York',
	C: 'America/Chicago',
	M: 'America/Denver',
	B: 'America/Boise',
	A: 'America/Phoenix',
	P: 'America/Los_Angeles',
	K: 'America/Anchorage',
	D: 'America/Adak',
	H: 'Pacific/Honolulu',
	R: 'America/Puerto_Rico',
	V: 'America/St_Thomas',
	G: 'Pacific/Guam',
	N: 'Pacific/Saipan',
	S: 'Pacific/Pago_Pago',
};

/** [first ZIP3, last ZIP3, zone letters]: ascending, not overlapping. */
const zip3Ranges: ReadonlyArray<readonly [number, number, string]> = [
	[5, 5, 'E'],
	[6, 7, 'R'],
	[8, 8, 'V'],
	[9, 9, 'R'],
	[10, 89, 'E'],
	// 090–099: military mail (AE), no zone.
	[100, 323, 'E'],
	[324, 324, 'CE'], // Florida panhandle: Panama City (Central), Gulf County (split)
	[325, 325, 'C'], // Pensacola
	[326, 339, 'E'],
	// 340: military mail (AA).
	[341, 349, 'E'],
	[350, 367, 'C'],
	[368, 368, 'CE'], // Phenix City AL keeps Eastern time unofficially
	[369, 372, 'C'],
	[373, 373, 'EC'], // Chattanooga's outer counties (Marion, Grundy, Sequatchie) are Central
	[374, 374, 'E'],
	[375, 375, 'C'],
	[376, 376, 'E'],
	[377, 377, 'EC'], // Knoxville's sectional center reaches Cumberland County (Central)
	[378, 379, 'E'],
	[380, 397, 'C'],
	[398, 400, 'E'],
	[401, 401, 'EC'], // Breckinridge and Grayson KY are Central
	[402, 419, 'E'],
	[420, 424, 'C'],
	[425, 425, 'E'],
	[426, 427, 'EC'], // Russell, Clinton, Cumberland, Adair KY are Central
	[430, 462, 'E'],
	[463, 464, 'C'], // Gary IN
	[465, 465, 'EC'], // Starke County IN is Central
	[466, 474, 'E'],
	[475, 475, 'EC'], // Perry County IN is Central
	[476, 477, 'C'], // Evansville IN
	[478, 478, 'E'],
	[479, 479, 'EC'], // Jasper and Newton IN are Central
	[480, 497, 'E'],
	[498, 499, 'EC'], // Michigan's western Upper Peninsula is Central
	[500, 567, 'C'],
	[569, 569, 'E'],
	[570, 574, 'C'],
	[575, 576, 'CM'], // central South Dakota: the West River counties are Mountain
	[577, 577, 'M'], // Rapid City
	[580, 584, 'C'],
	[585, 585, 'CM'], // Bismarck: Grant County is Mountain
	[586, 586, 'M'], // Dickinson
	[587, 587, 'C'],
	[588, 588, 'CM'], // Williston: McKenzie County is Mountain
	[590, 599, 'M'],
	[600, 676, 'C'],
	[677, 678, 'CM'], // western Kansas: Sherman, Wallace, Greeley, Hamilton are Mountain
	[679, 689, 'C'],
	[690, 692, 'CM'], // western Nebraska: the zone line runs through these prefixes
	[693, 693, 'M'], // Scottsbluff, Alliance
	[700, 738, 'C'],
	[739, 739, 'CM'], // Kenton OK (Cimarron County) keeps Mountain time unofficially
	[740, 797, 'C'],
	[798, 798, 'MC'], // El Paso County and Van Horn are Mountain, Big Bend is Central
	[799, 799, 'M'], // El Paso
	[800, 831, 'M'],
	[832, 834, 'B'],
	[835, 835, 'PB'], // Lewiston ID is Pacific, Idaho County south of the Salmon River Mountain
	[836, 837, 'B'],
	[838, 838, 'P'], // Idaho panhandle
	[840, 847, 'M'],
	[850, 859, 'A'],
	[860, 860, 'AM'], // the Navajo Nation keeps daylight time
	[861, 864, 'A'],
	[865, 865, 'AM'],
	[870, 885, 'M'], // New Mexico, and El Paso's 885
	[889, 897, 'P'],
	[898, 898, 'PM'], // Elko: West Wendover and Jackpot keep Mountain time
	[900, 961, 'P'],
	// 962–966: military mail (AP).
	[967, 968, 'H'],
	[969, 969, 'G'],
	[970, 978, 'P'],
	[979, 979, 'BP'], // Malheur County OR is Mountain
	[980, 994, 'P'],
	[995, 999, 'K'],
];

/** Whole ZIP codes whose zone differs from their prefix's: American Samoa in 967, Adak and Atka in 995. */
const zip5Exceptions: Readonly<Record<string, string>> = {
	'96799': 'S',
	'99546': 'D',
	'99547': 'D',
	'96950': 'N',
	'96951': 'N',
	'96952': 'N',
};

/** NANP area codes of the US and its territories by zone letters (several letters: the code spans zones). */
const areaCodesByZones: Readonly<Record<string, string>> = {
	E:
		'201 202 203 207 212 215 216 220 223 227 231 234 239 240 248 252 260 267 269 272 276 283 301 302 304 305 ' +
		'313 315 317 321 326 330 332 339 347 351 352 363 380 386 401 404 407 410 412 413 419 434 440 443 445 463 ' +
		'470 475 478 484 502 508 513 516 517 518 540 551 561 567 570 571 582 585 586 603 606 607 609 610 614 616 ' +
		'617 631 640 646 656 667 678 680 681 689 703 704 706 716 717 718 724 727 732 734 740 743 754 757 762 765 ' +
		'770 771 772 774 781 786 802 803 804 810 813 814 828 838 839 843 845 848 854 856 857 859 860 862 863 864 ' +
		'865 878 904 908 910 912 914 917 919 929 934 937 941 947 948 954 959 973 978 980 984 989',
	C:
		'205 210 214 217 218 224 225 228 251 254 256 262 281 309 312 314 316 318 319 320 325 331 337 346 361 402 ' +
		'405 409 414 417 430 447 464 469 479 501 504 507 512 515 531 534 539 563 572 573 601 608 612 615 618 629 ' +
		'630 636 641 651 659 660 662 682 708 712 713 715 726 731 737 763 769 773 779 806 815 816 817 830 832 847 ' +
		'870 872 901 903 913 918 920 931 936 938 940 945 952 956 972 979 985',
	CE: '219 270 334 364 448 574 812 850 930', // IN, KY, AL (Phenix City), FL panhandle
	EC: '423 906', // east Tennessee, Michigan's Upper Peninsula
	CM: '308 432 580 605 620 701 785', // NE, west TX, OK panhandle, SD, KS, ND
	M: '303 307 385 406 435 505 575 719 720 801 915 970 983',
	A: '480 520 602 623',
	AM: '928', // northern Arizona with the Navajo Nation
	BP: '208 986',
	P:
		'206 209 213 253 279 310 323 341 350 360 369 408 415 424 425 442 458 503 509 510 530 559 562 564 619 626 ' +
		'628 650 657 661 669 702 707 714 725 747 760 805 818 820 840 858 909 916 925 949 951 971',
	PB: '541', // eastern Oregon's Malheur County is Mountain
	PM: '775', // West Wendover NV
	KD: '907', // Alaska with the western Aleutians
	H: '808',
	R: '787 939',
	V: '340',
	G: '671',
	N: '670',
	S: '684',
};

function zonesOf(letters: string): readonly string[] {
	return [...letters].map((letter) => zoneLetters[letter]);
}

const areaCodeZones: ReadonlyMap<string, readonly string[]> = new Map(
	Object.entries(areaCodesByZones).flatMap(([letters, codes]) =>
		codes.split(' ').map((code): [string, readonly string[]] => [code, zonesOf(letters)]),
	),
);

/** The zones of a five-digit US ZIP code, most people's first; undefined when the table has none. */
export function zonesOfZip5(zip5: string): readonly string[] | undefined {
	const exception = zip5Exceptions[zip5];
	if (exception) return zonesOf(exception);
	const prefix = Number(zip5.slice(0, 3));
	const range = zip3Ranges.find(([first, last]) => prefix >= first && prefix <= last);
	return range ? zonesOf(range[2]) : undefined;
}

/** The zones of a three-digit NANP area code of the US or its territories; undefined when the table has none. */
export function zonesOfAreaCode(areaCode: string): readonly string[] | undefined {
	return areaCodeZones.get(areaCode);
}
