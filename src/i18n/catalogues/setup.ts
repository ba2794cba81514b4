/** Messages of the first-login and change-secret pages; French is the reference, English must have the same ids. */
export const fr = {
  'secret.confirmation_mismatch': 'Les deux saisies ne sont pas identiques.',
  'secret.same_as_current': 'Choisissez un secret différent de l’actuel.',
} as const;

export const en: Record<keyof typeof fr, string> = {
  'secret.confirmation_mismatch': 'The two entries do not match.',
  'secret.same_as_current': 'Choose a secret different from the current one.',
};
