// Sends the chosen links back to the LMS at once; the button is there if scripts are off.
document.getElementById("lti-post-back").submit();
