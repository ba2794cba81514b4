/** Messages of the recovery pages; French is the reference, English must have the same ids. */
export const fr = {
  'recovery.link.password': 'Mot de passe oublié ?',
  'recovery.link.pin': 'Code confidentiel oublié ?',
} as const;

export const en: Record<keyof typeof fr, string> = {
  'recovery.link.password': 'Forgot your password?',
  'recovery.link.pin': 'Forgot your confidential code?',
};
