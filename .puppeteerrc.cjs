// whatsapp-web.js depends on puppeteer, whose install step downloads a Chrome build.
// Switchboard drives the system Chromium instead (CHROMIUM_PATH, default /usr/bin/chromium),
// so the download is never wanted (and fails on machines without internet).
module.exports = { skipDownload: true };
