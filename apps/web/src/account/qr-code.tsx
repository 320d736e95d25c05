/**
 * @module qr-code — a QR code image of a text (the otpauth:// URL of two-factor setup). The encoder (uqr)
 * is loaded on first use, so it is not in the bundle every page downloads; the SVG is shown as a data:
 * image (allowed by the CSP), never injected as markup.
 */
import { useEffect, useState } from 'react';

/** Renders `text` as a QR code; `label` is the image's accessible name. */
export function QrCode({ text, label }: { text: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void import('uqr').then(({ renderSVG }) => {
      if (!live) return;
      const svg = renderSVG(text, { border: 2, ecc: 'M' });
      setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
    });
    return () => {
      live = false;
    };
  }, [text]);
  if (!src) return <div className="qr-code qr-loading" aria-busy="true" />;
  return <img className="qr-code" data-testid="totp-qr" src={src} alt={label} width={200} height={200} />;
}
