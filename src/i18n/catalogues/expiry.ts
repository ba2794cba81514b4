/** Messages of the expiry reminders; French is the reference, English must have the same ids. */
export const fr = {
  'expiry.kind.password': 'mot de passe',
  'expiry.kind.pin': 'code confidentiel',
  'mail.expiry.soon.subject': 'Votre {kind} Guichet expire dans {days} jours',
  'mail.expiry.soon.body': 'Bonjour,\n\nVotre {kind} Guichet expire le {date}. Pensez à le changer depuis votre profil avant cette date : {link}\n\nPassé cette date, il vous sera demandé d’en choisir un nouveau à votre prochaine connexion.\n\nGuichet ne vous demandera jamais votre {kind} par e-mail.',
  'mail.expiry.now.subject': 'Votre {kind} Guichet a expiré',
  'mail.expiry.now.body': 'Bonjour,\n\nVotre {kind} Guichet a expiré le {date}. À votre prochaine connexion, il vous sera demandé d’en choisir un nouveau.\n\nGuichet ne vous demandera jamais votre {kind} par e-mail.',
} as const;

export const en: Record<keyof typeof fr, string> = {
  'expiry.kind.password': 'password',
  'expiry.kind.pin': 'confidential code',
  'mail.expiry.soon.subject': 'Your Guichet {kind} expires in {days} days',
  'mail.expiry.soon.body': 'Hello,\n\nYour Guichet {kind} expires on {date}. You can change it from your profile before then: {link}\n\nAfter that date you will be asked to choose a new one at your next sign-in.\n\nGuichet will never ask for your {kind} by e-mail.',
  'mail.expiry.now.subject': 'Your Guichet {kind} has expired',
  'mail.expiry.now.body': 'Hello,\n\nYour Guichet {kind} expired on {date}. You will be asked to choose a new one at your next sign-in.\n\nGuichet will never ask for your {kind} by e-mail.',
};
