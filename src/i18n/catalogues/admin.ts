/** Messages of the admin pages; French is the reference, English must have the same ids. */
export const fr = {
} as const;

export const en: Record<keyof typeof fr, string> = {
};
