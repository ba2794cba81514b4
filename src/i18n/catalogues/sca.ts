/** Why strong authentication is asked now (the SCA policy's named rules), in plain words. */
export const fr = {
  'stepup.sca_period_elapsed': 'Pour votre sécurité, une authentification forte est demandée lors de votre première connexion, puis régulièrement : utilisez votre second moyen d’authentification.',
  'stepup.new_device': 'Vous vous connectez depuis un appareil que nous ne connaissons pas encore : confirmez avec votre second moyen d’authentification.',
  'stepup.idle_after_sca': 'Votre session est restée inactive plus de quelques minutes : authentifiez-vous à nouveau pour continuer.',
} as const;

export const en: Record<keyof typeof fr, string> = {
  'stepup.sca_period_elapsed': 'For your security, strong authentication is asked at your first sign-in and then regularly: use your second authentication method.',
  'stepup.new_device': 'You are signing in from a device we do not know yet: confirm with your second authentication method.',
  'stepup.idle_after_sca': 'Your session has been idle for more than a few minutes: authenticate again to continue.',
};
