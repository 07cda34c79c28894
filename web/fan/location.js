// Where the phone is, as well as it can tell within a few seconds: the first fix is often a
// coarse one from the network; a fix good enough for the hunt is worth waiting a little for.

export class LocationError extends Error {}

/**
 * Resolve with {lat, lon, accuracy_m} once a fix is within `wantM`, or the best one after
 * `patienceMs`. `onFix(fix, waiting)` reports every fix so the page can show its accuracy.
 */
export function locate({ wantM = 100, patienceMs = 8000, onFix = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new LocationError("This browser cannot tell where you are."));
      return;
    }
    let best = null;
    let timer = null;
    const finish = () => {
      navigator.geolocation.clearWatch(watch);
      clearTimeout(timer);
      if (best) resolve(best);
      else reject(new LocationError("Your phone did not say where you are in time. Step outside and try again."));
    };
    const watch = navigator.geolocation.watchPosition(
      (position) => {
        const fix = {
          lat: position.coords.latitude,
          lon: position.coords.longitude,
          accuracy_m: Math.max(position.coords.accuracy, 0.1),
        };
        if (!best || fix.accuracy_m <= best.accuracy_m) best = fix;
        const good = best.accuracy_m <= wantM;
        onFix(best, !good);
        if (good) finish();
      },
      (error) => {
        if (error.code === error.PERMISSION_DENIED) {
          navigator.geolocation.clearWatch(watch);
          clearTimeout(timer);
          reject(new LocationError("Location is blocked for this site. Codes count only where they are: allow location in your browser's site settings, then try again."));
        }
        // Timeouts and unavailable positions: keep waiting for the watch until our patience ends.
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: patienceMs },
    );
    timer = setTimeout(finish, patienceMs);
  });
}
