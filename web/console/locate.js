// The phone's position, watched while the field team stands at a billboard: every fix is shown
// with its accuracy, and the latest one is what gets saved (the team may take a step closer).

export class LocationError extends Error {}

function fixOf(position) {
  return {
    lat: position.coords.latitude,
    lon: position.coords.longitude,
    accuracy_m: Math.max(position.coords.accuracy, 0.1),
    at: position.timestamp || Date.now(),
  };
}

function refusalOf(error) {
  if (error.code === error.PERMISSION_DENIED) {
    return new LocationError("Location is blocked for this site: allow location in the browser's site settings, then press the button again.");
  }
  return null; // timeouts, no fix yet: keep watching
}

/** Watch the position: onFix(fix) for each fix, onError(LocationError) once; returns stop(). */
export function watch(onFix, onError) {
  if (!("geolocation" in navigator)) {
    onError(new LocationError("This browser cannot tell where you are."));
    return () => {};
  }
  const id = navigator.geolocation.watchPosition(
    (position) => onFix(fixOf(position)),
    (error) => {
      const refusal = refusalOf(error);
      if (refusal) {
        navigator.geolocation.clearWatch(id);
        onError(refusal);
      }
    },
    { enableHighAccuracy: true, maximumAge: 0, timeout: 20_000 },
  );
  return () => navigator.geolocation.clearWatch(id);
}

/**
 * One fix, good enough if it comes within `patienceMs`: the first within `wantM`, else the most
 * accurate seen. `onFix(best)` reports each fix so the page can show its accuracy.
 */
export function locate({ wantM, patienceMs = 10_000, onFix = () => {} }) {
  return new Promise((resolve, reject) => {
    let best = null;
    let timer = null;
    const finish = () => {
      stop();
      clearTimeout(timer);
      if (best) resolve(best);
      else reject(new LocationError("The phone did not say where it is in time: step outside and try again."));
    };
    const stop = watch(
      (fix) => {
        if (!best || fix.accuracy_m <= best.accuracy_m) best = fix;
        onFix(best);
        if (best.accuracy_m <= wantM) finish();
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
    timer = setTimeout(finish, patienceMs);
  });
}

/** Why a fix is too vague to save, or null when it is precise enough for the hunt. */
export function tooVague(fix, maxAccuracyM) {
  if (fix.accuracy_m <= maxAccuracyM) return null;
  return `your position is only accurate to ±${Math.round(fix.accuracy_m)} m, and this hunt accepts ±${Math.round(maxAccuracyM)} m at most (its max_accuracy_m): fans' scans are checked against this spot, so it must be precise. Step away from tall buildings, wait for the GPS to settle, and try again.`;
}
