/** Messages of the profile pages; French is the reference, English must have the same ids. */
export const fr = {
} as const;

export const en: Record<keyof typeof fr, string> = {
};
