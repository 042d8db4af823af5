// Reading a QR code with the phone camera where the browser offers BarcodeDetector.
// Progressive enhancement: without it the scanner stays hidden and staff type the code.
(() => {
  const boxes = document.querySelectorAll("[data-scanner]");
  if (!boxes.length || !("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;

  const setUp = async (box) => {
    let detector;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (!formats.includes("qr_code")) return;
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch {
      return;
    }
    const form = box.closest("form") || document.querySelector("[data-scan-form]");
    const target = box.dataset.scanTarget || "code";
    const input = form && form.querySelector(`[name="${target}"]`);
    const video = box.querySelector("[data-scan-video]");
    const status = box.querySelector("[data-scan-status]");
    const start = box.querySelector("[data-scan-start]");
    if (!input || !video || !start) return;
    box.hidden = false;
    let stream = null;

    const stop = () => {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
      video.srcObject = null;
    };

    const found = (value) => {
      stop();
      input.value = value.trim();
      status.textContent = "";
      // The voucher lookup needs nothing else; the purchase form still needs category and quantity.
      if (!box.dataset.scanTarget) form.submit();
      else input.focus();
    };

    const scan = async () => {
      if (!stream) return;
      try {
        const codes = await detector.detect(video);
        if (codes.length && codes[0].rawValue) {
          found(codes[0].rawValue);
          return;
        }
      } catch {
        // a frame that could not be read: try the next one
      }
      window.setTimeout(scan, 250);
    };

    start.addEventListener("click", async () => {
      if (stream) {
        stop();
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      } catch {
        status.textContent = box.dataset.msgDenied || "";
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      status.textContent = box.dataset.msgScanning || "";
      await video.play();
      scan();
    });
    window.addEventListener("pagehide", stop);
  };

  boxes.forEach(setUp);
})();
