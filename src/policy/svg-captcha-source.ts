import svgCaptcha from 'svg-captcha';
import type { CaptchaSource } from '../domain/ports.js';

/** The production captcha: 6 characters drawn as SVG noise (svg-captcha), no look-alike characters. */
export const svgCaptchaSource: CaptchaSource = {
  create() {
    const { text, data } = svgCaptcha.create({ size: 6, noise: 3, ignoreChars: '0oO1ilI', color: false, background: '#ffffff' });
    return { answer: text, svg: data };
  },
};
