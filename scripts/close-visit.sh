#!/usr/bin/env bash
# Closes a demo visit in the running sandbox (`npm start`): the sandbox EHR closes the visit and notifies n8n,
# as the real EHR would; the care summary then shows on the outbox page (http://127.0.0.1:5699/).
#   bash scripts/close-visit.sh fhir ana
#   bash scripts/close-visit.sh --ehr athenahealth --patient john [--hours-ago 2]
#   bash scripts/close-visit.sh --book-follow-up fhir ana      (the patient books the follow-up)
#   npm run close-visit -- tebra ana    (Tebra pushes nothing: n8n's poll finds the check-out within a minute)
#   npm run close-visit -- hl7v2 ana    (an SIU checked-out message over MLLP; details from the FHIR sandbox)
# EHR: fhir | athenahealth | drchrono | tebra | hl7v2   patient: ana | john | leilani | ray
# POST_VISIT_CONTROL_URL overrides the control API's address (default http://127.0.0.1:5699).
set -euo pipefail
CONTROL_URL="${POST_VISIT_CONTROL_URL:-http://127.0.0.1:5699}"
usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
ehr="" patient="" hours="" action="close-visit"
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ehr) ehr="${2:-}"; shift 2 ;;
    --ehr=*) ehr="${1#--ehr=}"; shift ;;
    --patient) patient="${2:-}"; shift 2 ;;
    --patient=*) patient="${1#--patient=}"; shift ;;
    --hours-ago) hours="${2:-}"; shift 2 ;;
    --hours-ago=*) hours="${1#--hours-ago=}"; shift ;;
    --book-follow-up) action="book-follow-up"; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ -z "$ehr" ] && [ ${#positional[@]} -ge 1 ] && ehr="${positional[0]}"
[ -z "$patient" ] && [ ${#positional[@]} -ge 2 ] && patient="${positional[1]}"
[ -n "$ehr" ] && [ -n "$patient" ] || usage
# The control API validates the names; here they only have to be safe to put in JSON.
[[ "$ehr" =~ ^[A-Za-z0-9]{1,20}$ ]] || { echo "ehr must be one of fhir, athenahealth, drchrono, tebra, hl7v2" >&2; exit 2; }
[[ "$patient" =~ ^[A-Za-z]{1,20}$ ]] || { echo "patient must be one of ana, john, leilani, ray" >&2; exit 2; }
body="{\"ehr\":\"$ehr\",\"patient\":\"$patient\""
if [ -n "$hours" ]; then
  [[ "$hours" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--hours-ago takes a number of hours, e.g. 2 or 47.5" >&2; exit 2; }
  body="$body,\"hoursAgo\":$hours"
fi
body="$body}"

if command -v curl >/dev/null 2>&1; then
  set +e
  answer="$(curl -sS -X POST -H 'content-type: application/json' --data "$body" -w '\n%{http_code}' "$CONTROL_URL/api/$action")"
  status=$?
  set -e
  if [ $status -ne 0 ]; then
    echo "the sandbox does not answer at $CONTROL_URL: start it with \`npm start\` first" >&2
    exit 1
  fi
  code="${answer##*$'\n'}"
  echo "${answer%$'\n'*}"
else
  # No curl: any Node >= 18 has fetch.
  set +e
  answer="$(node -e '
    fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" }, body: process.argv[2] })
      .then(async (r) => { console.log(await r.text()); console.log(r.status); })
      .catch(() => process.exit(7));
  ' "$CONTROL_URL/api/$action" "$body")"
  status=$?
  set -e
  if [ $status -ne 0 ]; then
    echo "the sandbox does not answer at $CONTROL_URL: start it with \`npm start\` first" >&2
    exit 1
  fi
  code="${answer##*$'\n'}"
  echo "${answer%$'\n'*}"
fi
if [ "${code:0:1}" != "2" ]; then exit 1; fi
if [ "$action" = "close-visit" ]; then
  case "${ehr,,}" in
    tebra|kareo) echo "Tebra pushes nothing: the EHR Poll Trigger finds the check-out within a minute." ;;
  esac
  echo "See what the patient received: $CONTROL_URL/"
fi
exit 0
