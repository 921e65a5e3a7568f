import XCTest

import GridworkCore
import GridworkTestSupport

/// The generated Swift bindings against the real library: the same scenario
/// as the Kotlin tests in android/gridwork-core.
final class GridworkCoreTests: XCTestCase {
    func testCoreVersionIsASemanticVersion() {
        let parts = coreVersion().split(separator: ".")
        XCTAssertEqual(parts.count, 3, coreVersion())
        XCTAssertTrue(parts.allSatisfy { Int($0) != nil }, coreVersion())
    }

    func testIdAndPhoneNumbersAreMasked() {
        XCTAssertEqual(maskIdNumber(id: "440308199001011234"), "440308********1234")
        XCTAssertEqual(maskPhone(phone: "13812345678"), "138****5678")
        // Non-ASCII input crosses the boundary intact.
        XCTAssertEqual(maskPhone(phone: "电话"), "*话")
    }

    func testAValidIdNumberPasses() throws {
        try validateIdNumber(id: "11010519491231002X")
    }

    func testAWrongCheckDigitThrowsInvalidNamingTheField() {
        XCTAssertThrowsError(try validateIdNumber(id: "110105194912310021")) { error in
            guard case let GridworkError.Invalid(field, reason) = error else {
                return XCTFail("expected GridworkError.Invalid, got \(error)")
            }
            XCTAssertEqual(field, "id_number")
            XCTAssertTrue(reason.contains("check digit"), reason)
        }
    }

    func testAShortIdNumberSaysHowLongItWas() {
        XCTAssertThrowsError(try validateIdNumber(id: "1234")) { error in
            guard case let GridworkError.Invalid(field, reason) = error else {
                return XCTFail("expected GridworkError.Invalid, got \(error)")
            }
            XCTAssertEqual(field, "id_number")
            XCTAssertTrue(reason.contains("got 4"), reason)
        }
    }

    func testAMaskerKeepsStateAndIsReleased() {
        weak var released: PiiMasker?
        do {
            let masker = PiiMasker()
            released = masker
            XCTAssertEqual(masker.mask(field: .idNumber, value: "440308199001011234"), "440308********1234")
            XCTAssertEqual(masker.mask(field: .phone, value: "13812345678"), "138****5678")
            XCTAssertEqual(masker.maskedCount(), 2)
        }
        // The last reference is gone, so deinit has freed the Rust object.
        XCTAssertNil(released)
    }

    func testAMaskerIsSharedAcrossThreads() {
        let masker = PiiMasker()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<250 {
                _ = masker.mask(field: .phone, value: "13812345678")
            }
        }
        XCTAssertEqual(masker.maskedCount(), 2000)
    }
}
