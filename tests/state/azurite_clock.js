// Test-only, preloaded into Azurite (node --require): moves the emulator's clock forward by the seconds
// written in $AZURITE_CLOCK_FILE, so a test can let a lease expire without waiting for it in real time.
const fs = require("fs");
const file = process.env.AZURITE_CLOCK_FILE;
const RealDate = Date;
function offset() {
  try {
    return Number(fs.readFileSync(file, "utf8")) * 1000 || 0;
  } catch (e) {
    return 0;
  }
}
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset());
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset();
  }
}
global.Date = ShiftedDate;
