// The phone's position from Core Location, with its accuracy and whether
// iOS thinks it is simulated (iOS 15+ sourceInformation). A visit asks
// once and never waits long: no fix is an answer too.

import CoreLocation
import Foundation

import GridworkCore
import GridworkKit
import GridworkScreens

final class CoreLocationSource: NSObject, LocationSource, CLLocationManagerDelegate, @unchecked Sendable {
    private let manager = CLLocationManager()
    private var waiting: [CheckedContinuation<LocationFix?, Never>] = []

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
    }

    func currentFix() async -> LocationFix? {
        await withCheckedContinuation { cont in
            DispatchQueue.main.async {
                self.waiting.append(cont)
                if self.manager.authorizationStatus == .notDetermined { self.manager.requestWhenInUseAuthorization() }
                self.manager.requestLocation()
                // Never block a visit: after 15 s, no fix.
                DispatchQueue.main.asyncAfter(deadline: .now() + 15) { self.finish(nil) }
            }
        }
    }

    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let l = locations.last else { return finish(nil) }
        let mock = l.sourceInformation?.isSimulatedBySoftware ?? false
        finish(locationFix(lat: l.coordinate.latitude, lon: l.coordinate.longitude,
                           accuracyM: l.horizontalAccuracy, provider: "gps", mock: mock, at: l.timestamp))
    }

    func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) { finish(nil) }

    private func finish(_ fix: LocationFix?) {
        let all = waiting
        waiting = []
        for cont in all { cont.resume(returning: fix) }
    }
}
